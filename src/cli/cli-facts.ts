/** What the CLI hands the command bodies that need it (src/actions/command-io.ts's CliFacts), made from the command table. */
import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import type {CliFacts, CompletionCommand} from '../actions/command-io.js'
import {BUILDX_BUILD_FLAGS} from '../buildx/flags.js'
import {writeLine} from '../printable.js'
import {COMMANDS, OWN_BUILD_FLAGS} from './command-table.js'

/** The build flags: buildx's and dbuild's own, long and short. */
export function buildFlagWords(): string[] {
  const buildx = BUILDX_BUILD_FLAGS.flatMap((flag) => [`--${flag.long}`, ...(flag.short ? [`-${flag.short}`] : [])])
  return [...buildx, ...OWN_BUILD_FLAGS.map(([spelling]) => spelling.split(' ')[0] as string)].sort()
}

/** Every command as completion offers it, sorted by id; `--json` first where a command has it, as oclif lists it. */
export function completionCommands(): CompletionCommand[] {
  const sorted = Object.entries(COMMANDS).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return sorted.map(([id, entry]) => ({
    id: id.replaceAll(':', ' '),
    flags: [
      ...(entry.json ? ['--json'] : []),
      ...Object.entries(entry.flags ?? {}).flatMap(([name, flag]) => [`--${name}`, ...(flag.char ? [`-${flag.char}`] : [])]),
    ],
    values: Object.values(entry.args ?? {}).flatMap((arg) => arg.options ?? []),
  }))
}

/** The package this dbuild runs from (the one bin/run.js belongs to): its root directory and its version, as oclif's config says them. */
function installationOf(binUrl: string): {root: string; version: string} {
  const root = fileURLToPath(new URL('..', binUrl)).replace(/\/$/, '')
  const pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as {version: string}
  return {root, version: pkg.version}
}

/**
 * The facts for a body run outside oclif: the package is the one bin/run.js belongs to. The bodies
 * that warn in oclif's form run through oclif (the table marks none of them direct); here such a
 * warning takes the form of every other dbuild warning.
 */
export function directFacts(binUrl: string): CliFacts {
  return {
    installation: () => installationOf(binUrl),
    completion: () => ({commands: completionCommands(), buildFlags: buildFlagWords()}),
    frameworkWarn: (message) => {
      writeLine(process.stderr, `dbuild: warning: ${message}`)
    },
  }
}
