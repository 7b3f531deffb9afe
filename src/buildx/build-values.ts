/** The values of `--build-arg` and `--build-context`, read as buildx reads them: one parser for every command that takes them. */
import {DbuildError, ExitCode} from '../exit-codes.js'

/** `--build-arg NAME=VALUE` values; a bare `NAME` takes its value from the environment, or is left out when unset, as docker does. */
export function parseBuildArgs(values: readonly string[] = [], env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const args: Record<string, string> = {}
  for (const text of values) {
    const eq = text.indexOf('=')
    if (eq === -1) {
      if (env[text] !== undefined) args[text] = env[text] as string
    } else args[text.slice(0, eq)] = text.slice(eq + 1)
  }
  return args
}

/** One `--build-context NAME=SOURCE`; anything else is a usage error, as buildx makes it. */
export function parseBuildContext(text: string): {name: string; source: string} {
  const eq = text.indexOf('=')
  if (eq <= 0) throw new DbuildError(`invalid --build-context "${text}": expected name=value`, ExitCode.USAGE)
  return {name: text.slice(0, eq), source: text.slice(eq + 1)}
}

/** `--build-context` values, in order. */
export function parseBuildContexts(values: readonly string[] = []): Array<{name: string; source: string}> {
  return values.map(parseBuildContext)
}
