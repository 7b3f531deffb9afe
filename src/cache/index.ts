/**
 * The cache lists every machine gets: `.dbuild.json` cacheFrom/cacheTo with `{branch}` and
 * `{default_branch}` expanded, the user's own flags added, duplicates removed, in a stable order.
 */
import {DbuildError, ExitCode} from '../exit-codes.js'
import {gitOutput} from '../git.js'

export interface PlaceholderValues {
  branch: string
  default_branch: string
}

const PLACEHOLDER = /\{([^{}]*)\}/g
const KNOWN = new Set(['branch', 'default_branch'])

/**
 * CI variables naming the branch being built, most specific first: a pull request's source branch
 * before the ref that was checked out (GitHub's GITHUB_REF_NAME is `123/merge` for a PR).
 */
export const CI_BRANCH_VARIABLES = [
  'GITHUB_HEAD_REF',
  'GITHUB_REF_NAME',
  'CI_MERGE_REQUEST_SOURCE_BRANCH_NAME',
  'CI_COMMIT_REF_NAME',
  'CI_COMMIT_BRANCH',
  'BUILDKITE_BRANCH',
  'CIRCLE_BRANCH',
  'TRAVIS_PULL_REQUEST_BRANCH',
  'TRAVIS_BRANCH',
  'BITBUCKET_BRANCH',
  'DRONE_SOURCE_BRANCH',
  'DRONE_BRANCH',
  'SYSTEM_PULLREQUEST_SOURCEBRANCH',
  'BUILD_SOURCEBRANCHNAME',
  'CHANGE_BRANCH',
  'BRANCH_NAME',
  'GIT_BRANCH',
  'CI_BRANCH',
] as const

/** A branch name as an image tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`. `feature/x` → `feature-x`. */
export function sanitizeTag(branch: string): string {
  const tag = branch
    .replace(/^refs\/heads\//, '')
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^[.-]+/, '')
    .slice(0, 128)
    .replace(/[.-]+$/, '')
  return tag === '' ? 'unknown' : tag
}

/** CI systems report `origin/main` or `refs/heads/main` in some variables; the branch is `main`. */
function branchFromVariable(value: string): string {
  return value.replace(/^refs\/heads\//, '').replace(/^origin\//, '')
}

/** The branch from CI's variables, for a detached HEAD. */
export function ciBranch(env: NodeJS.ProcessEnv): string | undefined {
  for (const name of CI_BRANCH_VARIABLES) {
    const value = env[name]?.trim()
    if (value) return branchFromVariable(value)
  }
  return undefined
}

/** The checked-out branch; on a detached HEAD (as CI checks out) the CI's branch variable. */
export async function currentBranch(cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const branch = await gitOutput(cwd, ['symbolic-ref', '--quiet', '--short', 'HEAD'])
  return branch || ciBranch(env)
}

/** config.defaultBranch, else what origin/HEAD points at, else `main`. */
export async function defaultBranch(cwd: string, configured?: string): Promise<string> {
  if (configured) return configured
  const remoteHead = await gitOutput(cwd, ['symbolic-ref', '--quiet', '--short', 'refs/remotes/origin/HEAD'])
  if (remoteHead) return remoteHead.replace(/^origin\//, '')
  return 'main'
}

/** Replaces the placeholders in one spec; an unknown placeholder is a config error naming `where`. */
export function expandSpec(spec: string, values: PlaceholderValues, where = '.dbuild.json'): string {
  return spec.replace(PLACEHOLDER, (whole, name: string) => {
    if (!KNOWN.has(name)) {
      throw new DbuildError(`${where}: unknown placeholder ${whole} in "${spec}"`, ExitCode.CONFIG, ['The placeholders are {branch} and {default_branch}.'])
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
  const cacheFrom = dedupeSpecs([...(inputs.configCacheFrom ?? []).map((spec) => expandSpec(spec, inputs.values, `${where}: cacheFrom`)), ...inputs.userCacheFrom])
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
