import {execute} from '@oclif/core'

/** Every command id, so the bare form `dbuild [buildx flags] CONTEXT` can be told apart from a command. */
export const COMMAND_IDS = ['build', 'doctor', 'hook', 'lint', 'normalize', 'rewrite', 'setup', 'stage'] as const
const OCLIF_WORDS = new Set(['help', '--help', '-h', '--version', 'version'])

/** Prepends `build` when the first argument is neither a command nor help/version: the bare drop-in form. */
export function routeArgv(argv: string[]): string[] {
  const [first] = argv
  if (first === undefined) return argv
  if ((COMMAND_IDS as readonly string[]).includes(first) || OCLIF_WORDS.has(first)) return argv
  return ['build', ...argv]
}

export async function run(argv: string[], binUrl: string): Promise<void> {
  await execute({args: routeArgv(argv), dir: binUrl})
}
