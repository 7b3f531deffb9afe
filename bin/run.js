#!/usr/bin/env node
import {readFileSync} from 'node:fs'
import module from 'node:module'

/**
 * `dbuild [COMMAND] --help` on a pipe, as the build rendered it into dist/help.json: importing oclif
 * alone takes longer than Node's whole start. A terminal (width, colour) gets oclif's own rendering.
 */
function prerenderedHelp(argv) {
  if (argv.at(-1) !== '--help' || process.stdout.isTTY) return undefined
  try {
    const saved = JSON.parse(readFileSync(new URL('../dist/help.json', import.meta.url), 'utf8'))
    if (saved.platform !== process.platform || saved.arch !== process.arch) return undefined
    // the variables that change how help renders (bin/build.js's HELP_VARIABLES): with any set, oclif renders it afresh
    if (!Array.isArray(saved.variables) || saved.variables.some((name) => process.env[name] !== undefined)) return undefined
    // the root help's version line names the Node that rendered it (`node-v20.…`), and nothing else in
    // help depends on the Node: another Node (24, where dbuild runs as often) gets it with its own version
    return saved.help[argv.join('\0')]?.replaceAll(` node-${saved.node}`, ` node-${process.version}`)
  } catch {
    return undefined // not built yet, or being rebuilt: oclif renders it
  }
}

const argv = process.argv.slice(2)
const help = prerenderedHelp(argv)
if (help === undefined) {
  // Node ≥ 22.1 keeps compiled code between runs (most of dbuild's start-up); older Nodes lack it
  module.enableCompileCache?.()
  const {run} = await import('../dist/src/main.bundle.js')
  await run(argv, import.meta.url)
} else process.stdout.write(help)
