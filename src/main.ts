import {readFileSync} from 'node:fs'

/** Every command id, so the bare form `dbuild [buildx flags] CONTEXT` can be told apart from a command. */
export const COMMAND_IDS = ['bake', 'build', 'doctor', 'explain', 'hook', 'lint', 'normalize', 'rewrite', 'setup', 'stage'] as const
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

export async function run(argv: string[], binUrl: string): Promise<void> {
  // answered without loading oclif, which alone costs more than the whole start-up budget
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === 'version')) {
    process.stdout.write(`${versionLine(binUrl)}\n`)
    return
  }
  const routed = routeArgv(argv)
  if (routed[0] === 'build' && !wantsHelp(routed)) {
    // the build runs without oclif: its start-up would be most of what a cached build may add
    const {buildCli, formatError} = await import('./pipeline/cli.js')
    const {DbuildError, ExitCode} = await import('./exit-codes.js')
    try {
      const {builtinRules} = await import('../plugins/index.js')
      process.exitCode = await buildCli(routed.slice(1), {rules: builtinRules})
    } catch (error) {
      if (error instanceof DbuildError) {
        process.stderr.write(`${formatError(error)}\n`)
        process.exitCode = error.exit
      } else {
        process.stderr.write(`Error: dbuild bug: ${(error as Error).stack ?? String(error)}\n`)
        process.exitCode = ExitCode.INTERNAL
      }
    }
    return
  }
  const {execute} = await import('@oclif/core')
  await execute({args: routeArgv(argv), dir: binUrl})
}
