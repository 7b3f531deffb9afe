/**
 * The cache lists every machine gets: `.dbuild.json` cacheFrom/cacheTo with `{branch}` and
 * `{default_branch}` expanded, the user's own flags added, duplicates removed, in a stable order.
 */
import {DbuildError, ExitCode} from '../exit-codes.js'
import {currentBranch, defaultBranch, sanitizeTag} from './branch.js'

export interface PlaceholderValues {
  branch: string
  default_branch: string
}

const PLACEHOLDER = /\{([^{}]*)\}/g
const KNOWN = new Set(['branch', 'default_branch'])

/** Replaces the placeholders in one spec; an unknown placeholder is a config error naming `where`. */
export function expandSpec(spec: string, values: PlaceholderValues, where = '.dbuild.json'): string {
  return spec.replace(PLACEHOLDER, (whole, name: string) => {
    if (!KNOWN.has(name)) {
      throw new DbuildError(`${where}: unknown placeholder ${whole} in "${spec}"`, ExitCode.CONFIG, [
        'The placeholders are {branch} and {default_branch}.',
      ])
    }
    return sanitizeTag(values[name as keyof PlaceholderValues])
  })
}

/**
 * A spec's identity: `user/app:cache` is shorthand for `type=registry,ref=user/app:cache`, and
 * attribute order does not matter, so both spellings count as one cache.
 */
export function cacheSpecKey(spec: string): string {
  const trimmed = spec.trim()
  if (!trimmed.includes('=')) return `ref=${trimmed}\ntype=registry`
  const attrs = trimmed.split(',').map((part) => part.trim())
  if (!attrs.some((attr) => attr.startsWith('type='))) attrs.push('type=registry')
  return attrs.sort().join('\n')
}

/** Keeps the first of each cache, in order. */
export function dedupeSpecs(specs: readonly string[]): string[] {
  const seen = new Set<string>()
  return specs.filter((spec) => {
    const key = cacheSpecKey(spec)
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

export interface CacheListInputs {
  configCacheFrom?: readonly string[]
  configCacheTo?: readonly string[]
  userCacheFrom: readonly string[]
  userCacheTo: readonly string[]
  values: PlaceholderValues
  /** CI is set or --export-cache was given: the config's cacheTo applies. */
  exportCache: boolean
  /** The config file, for error messages. */
  configPath?: string
}

export interface CacheLists {
  cacheFrom: string[]
  /** The --cache-to list to add; the user's own --cache-to flags stay where they are. */
  cacheTo: string[]
  notes: string[]
}

/** The final lists: config entries expanded then the user's, deduplicated; config cacheTo only when exporting and the user gave none. */
export function cacheLists(inputs: CacheListInputs): CacheLists {
  const where = inputs.configPath ?? '.dbuild.json'
  const notes: string[] = []
  const cacheFrom = dedupeSpecs([
    ...(inputs.configCacheFrom ?? []).map((spec) => expandSpec(spec, inputs.values, `${where}: cacheFrom`)),
    ...inputs.userCacheFrom,
  ])
  let cacheTo: string[] = []
  const configured = inputs.configCacheTo ?? []
  if (configured.length > 0) {
    if (inputs.userCacheTo.length > 0) notes.push(`--cache-to on the command line wins over ${where} cacheTo`)
    else if (inputs.exportCache) cacheTo = dedupeSpecs(configured.map((spec) => expandSpec(spec, inputs.values, `${where}: cacheTo`)))
    else notes.push(`${where} cacheTo not used: set CI or pass --export-cache to push the cache`)
  }
  return {cacheFrom, cacheTo, notes}
}

/** Git facts for the placeholders, looked up only when a spec uses them. */
export async function placeholderValues(
  specs: readonly string[],
  cwd: string,
  options: {env?: NodeJS.ProcessEnv; defaultBranch?: string} = {},
): Promise<{values: PlaceholderValues; notes: string[]}> {
  const uses = (name: string) => specs.some((spec) => spec.includes(`{${name}}`))
  const notes: string[] = []
  const needBranch = uses('branch')
  const fallback = needBranch || uses('default_branch') ? await defaultBranch(cwd, options.defaultBranch) : 'main'
  let branch = fallback
  if (needBranch) {
    const found = await currentBranch(cwd, options.env ?? process.env)
    if (found) branch = found
    else notes.push(`no git branch (detached HEAD and no CI branch variable): {branch} is the default branch ${fallback}`)
  }
  return {values: {branch, default_branch: fallback}, notes}
}
