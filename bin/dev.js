#!/usr/bin/env node
// Development entry: builds first (compile and oclif manifest) so edits show without a manual `npm run build`.
import {execFileSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
execFileSync(process.execPath, [`${root}bin/build.js`], {stdio: 'inherit'})
const {run} = await import('../dist/src/main.bundle.js')
await run(process.argv.slice(2), import.meta.url)
