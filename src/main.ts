import {existsSync, readFileSync} from 'node:fs'

import {BUILDX_GLOBAL_FLAGS, type BuildxFlag} from './buildx/flags.js'
import {COMMAND_IDS, subcommandsOf} from './cli/command-table.js'
import {BUILDX_SHIM_ENTRY, PLUGIN_ENTRY, SHIM_BYPASS} from './docker-plugin/entry.js'
import {workingDirectory} from './working-dir.js'

/** Every top-level command word, from the command table (a topic such as `hook` counts once). */
export {COMMAND_IDS}

/** `dbuild hook frob`: the word after a topic that is none of its subcommands. */
export function notASubcommand(argv: readonly string[]): {topic: string; word: string; subcommands: string[]} | undefined {
  const [topic, word] = argv
  if (topic === undefined || word === undefined || word.startsWith('-')) return undefined
  const subcommands = subcommandsOf(topic)
  return subcommands.length > 0 && !subcommands.includes(word) ? {topic, word, subcommands} : undefined
}

/** `docker buildx`'s own flags (buildx/flags.ts), which may stand before `build` as in `docker buildx --builder x build`. */
const spellings = (flag: BuildxFlag) => [`--${flag.long}`, ...(flag.short ? [`-${flag.short}`] : [])]
const GLOBAL_VALUE_FLAGS = new Set(BUILDX_GLOBAL_FLAGS.filter((flag) => flag.value).flatMap(spellings))
const GLOBAL_BOOLEAN_FLAGS = new Set(BUILDX_GLOBAL_FLAGS.filter((flag) => !flag.value).flatMap(spellings))
/** Commands a leading `--builder`/`--debug` belongs to. */
const BUILDX_COMMANDS = new Set(['build', 'bake'])

/** The leading `--builder X` / `--builder=X` / `-D` / `--debug` tokens; how many there are. */
function leadingGlobalFlags(argv: readonly string[]): number {
  let i = 0
  while (i < argv.length) {
    const token = argv[i] as string
    if (GLOBAL_BOOLEAN_FLAGS.has(token) || BUILDX_GLOBAL_FLAGS.some((flag) => token.startsWith(`--${flag.long}=`))) i++
    else if (GLOBAL_VALUE_FLAGS.has(token) && i + 1 < argv.length) i += 2
    else break
  }
  return i
}

/** `-h` means --help before any `--`, for every command (none of them has a -h flag). */
function helpSpelled(argv: readonly string[]): string[] {
  const end = argv.indexOf('--')
  return argv.map((arg, index) => (arg === '-h' && (end === -1 || index < end) ? '--help' : arg))
}

/**
 * The argv oclif or the build sees: help in every usual form (`help`, `help CMD`, `-h`, `CMD -h`),
 * `--builder`/`--debug` before `build`, and `build` prepended for the bare drop-in form.
 */
export function routeArgv(argv: string[]): string[] {
  const [first] = argv
  if (first === undefined) return argv
  if (first === 'help' || first === '-h' || first === '--help')
    return [...argv.slice(1).filter((arg) => arg !== '--help' && arg !== '-h'), '--help']
  if (first === '--version' || first === 'version') return argv
  const globals = leadingGlobalFlags(argv)
  if (globals > 0 && BUILDX_COMMANDS.has(argv[globals] as string)) {
    return helpSpelled([argv[globals] as string, ...argv.slice(0, globals), ...argv.slice(globals + 1)])
  }
  if (COMMAND_IDS.includes(first)) return helpSpelled(argv)
  return helpSpelled(['build', ...argv])
}

/** `--help` before any `--`. */
function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--')
  return (end === -1 ? argv : argv.slice(0, end)).includes('--help')
}

/**
 * The first word of a bare `dbuild WORD …` that is neither a command nor something buildx could
 * build (an existing path, a URL, `-`): most likely a mistyped command.
 */
export function notACommand(argv: readonly string[], cwd?: string): string | undefined {
  const [first] = argv
  if (first === undefined || first.startsWith('-') || COMMAND_IDS.includes(first)) return undefined
  if (first.includes('://') || first.includes('@') || first.startsWith('github.com/')) return undefined
  // asked only here: a deleted working directory must not fail every command
  const dir = first.startsWith('/') ? undefined : (cwd ?? workingDirectory())
  return existsSync(dir === undefined ? first : `${dir}/${first}`) ? undefined : first
}

/** oclif's version line, e.g. `dbuild/0.1.0 linux-x64 node-v20.11.0`. */
export function versionLine(binUrl: string): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', binUrl), 'utf8')) as {name: string; version: string}
  return `${pkg.name}/${pkg.version} ${process.platform}-${process.arch} node-${process.version}`
}

/** Runs `work` outside oclif, reporting a DbuildError (or a bug) the one way every dbuild command does, with its exit code. */
async function withoutOclif(work: () => Promise<number | undefined>): Promise<void> {
  const {reportError} = await import('./exit-codes.js')
  try {
    const code = await work()
    if (code !== undefined) process.exitCode = code
  } catch (error) {
    process.exitCode = reportError(error)
  }
}

/**
 * Run as the Docker CLI plugin (docker-dbuild): docker's global flags become the environment, and a
 * buildx subcommand dbuild does not handle (`docker builder prune` with the alias) goes to buildx.
 * Returns the dbuild argv to go on with, or undefined when docker already ran.
 */
async function dockerPlugin(argv: string[]): Promise<string[] | undefined> {
  let next: string[] | undefined
  await withoutOclif(async () => {
    const {pluginCommand} = await import('./docker-plugin/argv.js')
    const command = pluginCommand(argv, process.env, COMMAND_IDS)
    // every docker dbuild runs from here on sees the host, context and config docker was given
    for (const name of Object.keys(process.env)) if (!(name in command.env)) delete process.env[name]
    Object.assign(process.env, command.env)
    if (command.kind === 'dbuild') {
      next = command.argv
      return undefined
    }
    const {exitCodeOf, streamDocker} = await import('./buildx/run.js')
    return exitCodeOf(await streamDocker(command.argv))
  })
  return next
}

export async function run(argv: string[], binUrl: string): Promise<void> {
  // every docker dbuild starts reaches the real buildx, never dbuild's docker-buildx shim again
  process.env[SHIM_BYPASS] = '0'
  if (argv[0] === BUILDX_SHIM_ENTRY) {
    const {shimCommand} = await import('./docker-plugin/buildx-shim-argv.js')
    let command: ReturnType<typeof shimCommand> | undefined
    await withoutOclif(async () => {
      command = shimCommand(argv.slice(1), process.env)
      return undefined
    })
    if (command === undefined) return
    for (const name of Object.keys(process.env)) if (!(name in command.env)) delete process.env[name]
    Object.assign(process.env, command.env)
    argv = command.argv
  } else if (argv[0] === PLUGIN_ENTRY) {
    const next = await dockerPlugin(argv.slice(1))
    if (next === undefined) return
    argv = next
  }
  // answered without loading oclif, which alone costs more than the whole start-up budget
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === 'version')) {
    process.stdout.write(`${versionLine(binUrl)}\n`)
    return
  }
  const routed = routeArgv(argv)
  // `dbuild frobnicate`, `dbuild help frobnicate`: name the mistake rather than fail to find a context
  const word =
    argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h'
      ? notACommand(routed)
      : argv[0] === 'build'
        ? undefined
        : notACommand(argv)
  const sub = notASubcommand(routed)
  if (word !== undefined || sub !== undefined) {
    await withoutOclif(async () => {
      const {notACommandError} = await import('./cli/commands.js')
      throw sub
        ? notACommandError(
            `${sub.topic} ${sub.word}`,
            sub.subcommands.map((name) => `${sub.topic} ${name}`),
          )
        : notACommandError(word as string, COMMAND_IDS)
    })
    return
  }
  if (routed[0] === 'build' && wantsHelp(routed)) {
    const {buildHelp} = await import('./cli/build-help.js')
    process.stdout.write(await buildHelp())
    return
  }
  // build always runs without oclif (oclif's start-up would be most of what a cached build may add); stage, lint and
  // rewrite do when their argv is plain
  const {runDirect} = await import('./cli/direct.js')
  if (await runDirect(routed[0] as string, routed.slice(1), binUrl)) return
  const {execute} = await import('@oclif/core')
  await execute({args: routed, dir: binUrl})
}
