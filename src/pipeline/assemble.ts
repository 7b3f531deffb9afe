/** Pipeline step 6: the final buildx argv, from the user's flags and what the earlier steps replaced. */
import type {FlagUse, ParsedBuildArgv} from '../buildx/argv.js'

export interface Replacements {
  dockerfile?: string
  buildContexts: ReadonlyMap<string, string>
  /** Build args buildx gets another value of (BUILDKIT_SYNTAX through a mirror): every --build-arg of that name. */
  buildArgs?: Readonly<Record<string, string>>
  cacheFrom: readonly string[]
  cacheTo: readonly string[]
  context: string
}

/** The final buildx argv: user flags in order, -f, local build contexts and rewritten build args replaced, the cache lists, the context last. */
export function assembleArgs(uses: readonly FlagUse[], replace: Replacements): string[] {
  const args = ['buildx', 'build']
  const lastFile = replace.dockerfile === undefined ? -1 : uses.findLastIndex((use) => use.flag?.long === 'file')
  uses.forEach((use, index) => {
    switch (use.flag?.long) {
      case 'file':
        if (replace.dockerfile === undefined) args.push(...use.tokens)
        else if (index === lastFile) args.push('--file', replace.dockerfile)
        return
      case 'cache-from':
        return // re-added below, merged with the config's list
      case 'build-arg': {
        // `NAME=VALUE`, or a bare `NAME` buildx reads from the environment
        const name = (use.value ?? '').split('=')[0] as string
        const value = replace.buildArgs && Object.hasOwn(replace.buildArgs, name) ? replace.buildArgs[name] : undefined
        if (value === undefined) args.push(...use.tokens)
        else args.push('--build-arg', `${name}=${value}`)
        return
      }
      case 'build-context': {
        const name = (use.value ?? '').split('=')[0] as string
        const local = replace.buildContexts.get(name)
        if (local === undefined) args.push(...use.tokens)
        else args.push('--build-context', `${name}=${local}`)
        return
      }
      default:
        args.push(...use.tokens)
    }
  })
  if (replace.dockerfile !== undefined && lastFile === -1) args.push('--file', replace.dockerfile)
  for (const spec of replace.cacheFrom) args.push('--cache-from', spec)
  for (const spec of replace.cacheTo) args.push('--cache-to', spec)
  // a context that looks like a flag must follow `--`
  if (replace.context.startsWith('-') && replace.context !== '-') args.push('--')
  args.push(replace.context)
  return args
}

/** --progress=quiet/rawjson or -q: print nothing of dbuild's own. */
export function isSilent(parsed: ParsedBuildArgv): boolean {
  return parsed.quiet || parsed.progress === 'quiet' || parsed.progress === 'rawjson'
}
