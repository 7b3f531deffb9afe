/**
 * Splits `docker buildx build` argv the way buildx (cobra/pflag) does: every spelling of a flag
 * (`-t x`, `-tx`, `-t=x`, `--tag x`, `--tag=x`, `-qt x`, `--push=false`), flags after the
 * context, and `--`. Every buildx token is kept, in order, so it can be passed through unchanged.
 */
import {DbuildError, ExitCode} from '../exit-codes.js'
import {nearest} from '../nearest.js'
import {parseBuildArgs, parseBuildContext} from './build-values.js'
import {type BuildxFlag, type FlagTable, flagTable} from './flags.js'
import {installedBuildFlags} from './help.js'

export type {FlagTable} from './flags.js'

/** One flag as it appeared on the command line. */
export interface FlagUse {
  /** The table entry; undefined for a flag a lenient table (bake's) does not know (passed through). */
  flag?: BuildxFlag
  /** The name as spelled, without dashes (`tag`, `t`, or an unknown name). */
  name: string
  /** The value of a value flag, or the literal of a boolean given as `--push=false`. */
  value?: string
  /** The tokens to hand to buildx: exactly as given, or split out of a combined `-qt x`. */
  tokens: string[]
}

export interface OwnFlags {
  dryRun: boolean
  noStage: boolean
  noRewrite: boolean
  exportCache: boolean
  /** --config FILE */
  config?: string
  /** --manifest FILE: where to write the context manifest (see src/explain/manifest.ts). */
  manifest?: string
  /** --plugins / --no-plugins: run the config's rule plugins; undefined leaves it to DBUILD_PLUGINS. */
  plugins?: boolean
}

export interface BuildContextArg {
  name: string
  /** The source after `name=`: a local path, a URL or `docker-image://…`. */
  source: string
}

export interface ParsedBuildArgv {
  /** buildx flags in order, dbuild's own flags and the context removed. */
  uses: FlagUse[]
  /** The PATH | URL | - argument. */
  context: string
  /** -f/--file as given (last one wins). */
  dockerfile?: string
  /** --build-arg values; a bare `NAME` takes its value from the environment, as in buildx. */
  buildArgs: Record<string, string>
  target?: string
  platforms: string[]
  builder?: string
  cacheFrom: string[]
  cacheTo: string[]
  buildContexts: BuildContextArg[]
  progress?: string
  /** --network, which probe builds of the rewrite step use too. */
  network?: string
  quiet: boolean
  own: OwnFlags
  /** Unknown flags, already worded for the user. */
  warnings: string[]
}

interface OwnFlag {
  key: keyof OwnFlags
  value: boolean
  /** `--no-x`: the boolean is stored negated. */
  negated?: boolean
}

/** dbuild's own flags; none of them is a buildx build flag. */
const OWN_FLAGS: Record<string, OwnFlag> = {
  config: {key: 'config', value: true},
  'dry-run': {key: 'dryRun', value: false},
  'export-cache': {key: 'exportCache', value: false},
  manifest: {key: 'manifest', value: true},
  plugins: {key: 'plugins', value: false},
  'no-plugins': {key: 'plugins', value: false, negated: true},
  'no-rewrite': {key: 'noRewrite', value: false},
  'no-stage': {key: 'noStage', value: false},
}

/** Go's strconv.ParseBool, which pflag uses for `--flag=value` booleans. */
export function parseBool(text: string | undefined): boolean | undefined {
  if (text === undefined) return true
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false
  return undefined
}

/** A flag neither dbuild nor a strict table knows; resolveBuildArgv asks the installed buildx before giving up. */
export class UnknownFlagError extends DbuildError {
  constructor(
    readonly spelling: string,
    table: FlagTable,
  ) {
    const guess = spelling.startsWith('--')
      ? nearest(spelling.slice(2), [...(table.longNames?.() ?? []), ...Object.keys(OWN_FLAGS)])
      : undefined
    super(`unknown flag: ${spelling}${guess ? ` (did you mean --${guess}?)` : ''}`, ExitCode.USAGE, [
      `See dbuild ${table.command} --help for buildx's flags and dbuild's own.`,
    ])
  }
}

const BUILD_TABLE: FlagTable = flagTable()

/** argv split as pflag splits it: the flags in order, dbuild's own flags, and the positional arguments. */
export interface SplitArgv {
  uses: FlagUse[]
  positionals: string[]
  own: OwnFlags
  warnings: string[]
}

/** Splits argv by `table`; dbuild's own flags (--dry-run, --config, …) are taken out. Throws a usage DbuildError as buildx would fail. */
export function splitArgv(argv: readonly string[], table: FlagTable): SplitArgv {
  const uses: FlagUse[] = []
  const positionals: string[] = []
  const own: OwnFlags = {dryRun: false, noStage: false, noRewrite: false, exportCache: false}
  const warnings: string[] = []
  const needsValue: (spelling: string) => never = (spelling) => {
    throw new DbuildError(`flag needs an argument: ${spelling}`, ExitCode.USAGE, [`See docker buildx ${table.command} --help.`])
  }
  const flagByLong = table.byLong
  const flagByShort = table.byShort

  const setOwn = (spelling: string, def: OwnFlag, value: string | undefined) => {
    if (def.value) {
      ;(own as unknown as Record<string, unknown>)[def.key] = value
      return
    }
    const bool = parseBool(value)
    if (bool === undefined) throw new DbuildError(`invalid argument "${value}" for "${spelling}": not a boolean`, ExitCode.USAGE)
    ;(own as unknown as Record<string, unknown>)[def.key] = def.negated ? !bool : bool
  }

  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string
    if (token === '--') {
      positionals.push(...argv.slice(i + 1))
      break
    }
    if (token.startsWith('--')) {
      const eq = token.indexOf('=')
      const name = eq === -1 ? token.slice(2) : token.slice(2, eq)
      const inline = eq === -1 ? undefined : token.slice(eq + 1)
      const ownFlag = OWN_FLAGS[name]
      if (ownFlag) {
        let value = inline
        if (ownFlag.value && value === undefined) {
          if (i + 1 >= argv.length) needsValue(token)
          value = argv[++i]
        }
        setOwn(`--${name}`, ownFlag, value)
        continue
      }
      const flag = flagByLong(name)
      if (!flag) {
        if (table.strict) throw new UnknownFlagError(`--${name}`, table)
        warnings.push(
          `unknown flag --${name}: passed to buildx as ${inline === undefined ? 'a boolean (write --' + name + '=VALUE if it takes a value)' : 'given'}`,
        )
        uses.push({name, tokens: [token], ...(inline === undefined ? {} : {value: inline})})
        continue
      }
      if (!flag.value || inline !== undefined) {
        uses.push({flag, name, tokens: [token], ...(inline === undefined ? {} : {value: inline})})
        continue
      }
      if (i + 1 >= argv.length) needsValue(token)
      uses.push({flag, name, value: argv[i + 1], tokens: [token, argv[++i] as string]})
      continue
    }
    if (token.startsWith('-') && token.length > 1) {
      // pflag shorthand group: booleans may be combined (-qD); a value flag takes the rest or the next token
      const group: FlagUse[] = []
      let consumedNext = false
      let rest = token.slice(1)
      while (rest.length > 0) {
        const letter = rest[0] as string
        rest = rest.slice(1)
        const flag = flagByShort(letter)
        if (!flag) {
          if (table.strict) throw new UnknownFlagError(`-${letter}`, table)
          warnings.push(`unknown flag -${letter}: passed to buildx as a boolean`)
          group.push({name: letter, tokens: [`-${letter}`]})
        } else if (!flag.value) {
          const inline = rest.startsWith('=') ? rest.slice(1) : undefined
          group.push({
            flag,
            name: letter,
            tokens: [inline === undefined ? `-${letter}` : `-${letter}=${inline}`],
            ...(inline === undefined ? {} : {value: inline}),
          })
          if (inline !== undefined) rest = ''
        } else {
          let value: string
          if (rest.length > 0) value = rest.startsWith('=') ? rest.slice(1) : rest
          else if (i + 1 < argv.length) {
            value = argv[++i] as string
            consumedNext = true
          } else needsValue(`-${letter}`)
          group.push({flag, name: letter, value, tokens: [`-${letter}`, value]})
          rest = ''
        }
      }
      // a lone flag keeps its exact spelling; a combined group (-qt x) is split into equivalent tokens
      const [only] = group
      if (group.length === 1 && only) only.tokens = consumedNext ? [token, only.value as string] : [token]
      uses.push(...group)
      continue
    }
    positionals.push(token)
  }
  return {uses, positionals, own, warnings}
}

/**
 * Reads the flags and the context out of raw argv with `table` (the built-in build flags unless
 * given); throws a usage DbuildError as buildx would fail, UnknownFlagError for a flag it lacks.
 */
export function parseBuildArgv(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  table: FlagTable = BUILD_TABLE,
): ParsedBuildArgv {
  const {uses, positionals, own, warnings} = splitArgv(argv, table)
  if (positionals.length !== 1) {
    throw new DbuildError(
      positionals.length === 0
        ? '"docker buildx build" requires exactly 1 argument (the context: PATH | URL | -)'
        : `"docker buildx build" requires exactly 1 argument, got ${positionals.length}: ${positionals.join(' ')}`,
      ExitCode.USAGE,
      ['Usage: dbuild build [OPTIONS] PATH | URL | -'],
    )
  }
  return summarize(uses, positionals[0] as string, own, warnings, env)
}

/** The facts dbuild needs from the flag list (values are the effective ones: last wins for single flags). */
function summarize(uses: FlagUse[], context: string, own: OwnFlags, warnings: string[], env: NodeJS.ProcessEnv): ParsedBuildArgv {
  const parsed: ParsedBuildArgv = {
    uses,
    context,
    buildArgs: {},
    platforms: [],
    cacheFrom: [],
    cacheTo: [],
    buildContexts: [],
    quiet: false,
    own,
    warnings,
  }
  for (const use of uses) {
    const value = use.value
    switch (use.flag?.long) {
      case 'file':
        parsed.dockerfile = value
        break
      case 'target':
        parsed.target = value
        break
      case 'builder':
        parsed.builder = value
        break
      case 'progress':
        parsed.progress = value
        break
      case 'network':
        parsed.network = value
        break
      case 'quiet':
        parsed.quiet = parseBool(value) ?? false
        break
      case 'platform':
        // buildx also splits a --platform value on commas
        parsed.platforms.push(...(value ?? '').split(',').filter(Boolean))
        break
      case 'cache-from':
        parsed.cacheFrom.push(value ?? '')
        break
      case 'cache-to':
        parsed.cacheTo.push(value ?? '')
        break
      case 'build-arg':
        Object.assign(parsed.buildArgs, parseBuildArgs([value ?? ''], env))
        break
      case 'build-context':
        parsed.buildContexts.push(parseBuildContext(value ?? ''))
        break
    }
  }
  return parsed
}

/**
 * parseBuildArgv for a real build: a flag the table lacks may be one a newer buildx added, so the
 * installed buildx's `--help` (remembered per buildx install) is asked before calling it unknown.
 */
export async function resolveBuildArgv(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  installed: (env: NodeJS.ProcessEnv) => Promise<BuildxFlag[] | undefined> = installedBuildFlags,
): Promise<ParsedBuildArgv> {
  try {
    return parseBuildArgv(argv, env)
  } catch (error) {
    if (!(error instanceof UnknownFlagError)) throw error
    const flags = await installed(env)
    if (!flags) throw error
    return parseBuildArgv(argv, env, flagTable(flags))
  }
}
