#!/usr/bin/env node
import module from 'node:module'

// Node ≥ 22.1 keeps compiled code between runs (most of dbuild's start-up); older Nodes lack it
module.enableCompileCache?.()

const {run} = await import('../dist/src/main.js')
await run(process.argv.slice(2), import.meta.url)
