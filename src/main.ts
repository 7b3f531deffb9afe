import {readFileSync} from 'node:fs'

import {PLUGIN_ENTRY} from './docker-plugin/entry.js'

/** Every command id, so the bare form `dbuild [buildx flags] CONTEXT` can be told apart from a command. */
export const COMMAND_IDS = ['bake', 'build', 'docker', 'doctor', 'explain', 'hook', 'lint', 'normalize', 'rewrite', 'setup', 'stage'] as const
const OCLIF_WORDS = new Set(['help', '--help', '-h', '--version', 'version'])

/** Prepends `build` when the first argument is neither a command nor help/version: the bare drop-in form. */
export function routeArgv(argv: string[]): string[] {
  const [first] = argv
  if (first === undefined) return argv
  if ((COMMAND_IDS as readonly string[]).includes(first) || OCLIF_WORDS.has(first)) return argv
  return ['build', ...argv]
}

/** `--help`/`-h` before any `--`: oclif shows the command's help. */
function wantsHelp(argv: string[]): boolean {
  const end = argv.indexOf('--')
  return (end === -1 ? argv : argv.slice(0, end)).some((arg) => arg === '--help' || arg === '-h')
}

/** oclif's version line, e.g. `dbuild/0.1.0 linux-x64 node-v20.11.0`. */
export function versionLine(binUrl: string): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', binUrl), 'utf8')) as {name: string; version: string}
  return `${pkg.name}/${pkg.version} ${process.platform}-${process.arch} node-${process.version}`
}

/** Runs `work` outside oclif, reporting a DbuildError (or a bug) as oclif would, with its exit code. */
async function withoutOclif(work: () => Promise<number | undefined>): Promise<void> {
  const {formatError} = await import('./pipeline/cli.js')
  const {DbuildError, ExitCode} = await import('./exit-codes.js')
  try {
    const code = await work()
    if (code !== undefined) process.exitCode = code
  } catch (error) {
    if (error instanceof DbuildError) {
      process.stderr.write(`${formatError(error)}\n`)
      process.exitCode = error.exit
    } else {
      process.stderr.write(`Error: dbuild bug: ${(error as Error).stack ?? String(error)}\n`)
      process.exitCode = ExitCode.INTERNAL
    }
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
    const {streamDocker} = await import('./buildx/run.js')
    const {exitCodeOf} = await import('./pipeline/cli.js')
    return exitCodeOf(await streamDocker(command.argv))
  })
  return next
}

export async function run(argv: string[], binUrl: string): Promise<void> {
  if (argv[0] === PLUGIN_ENTRY) {
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
  const fast = routed[0] === 'build' && !wantsHelp(routed)
  if (fast) {
    // the build runs without oclif: its start-up would be most of what a cached build may add
    await withoutOclif(async () => {
      const {buildCli} = await import('./pipeline/cli.js')
      const {builtinRules} = await import('../plugins/index.js')
      return buildCli(routed.slice(1), {rules: builtinRules})
    })
    return
  }
  const {execute} = await import('@oclif/core')
  await execute({args: routed, dir: binUrl})
}
