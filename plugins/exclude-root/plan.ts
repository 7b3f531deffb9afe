/** exclude-root's plan: X's tree walked along the excluded paths, one COPY per other entry, symlinks gathered per directory. */
import type {TreeEntry} from '../../src/rewrite/index.js'

/** Characters a rewritten path cannot carry without BuildKit reading them as a pattern or a variable. */
// Quotes too: BuildKit's frontends read a quote inside a COPY operand, the JSON form included, as
// shell quoting ("looking for matching single-quote"), and a control character cannot stand in a line.
export const UNSAFE = /[*?[\]$\\`'"]|\p{Cc}/u
/** What a COPY of a directory by its path creates it as: BuildKit copies the contents, not the directory. */
export const CREATED_DIR_MODE = 0o755

export const trim = (p: string) => p.replace(/^\/+|\/+$/g, '')

/** A path as Go's filepath.Clean writes it, which is how BuildKit's pattern matcher reads an --exclude. */
export function cleanPattern(pattern: string): string {
  const absolute = pattern.startsWith('/')
  const out: string[] = []
  for (const part of pattern.split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..' && out.length > 0 && out[out.length - 1] !== '..') out.pop()
    else if (part !== '..' || !absolute) out.push(part)
  }
  const joined = out.join('/')
  return absolute ? `/${joined}` : joined || '.'
}

/**
 * BuildKit matches --exclude against paths relative to the COPY source, without a leading slash:
 * a pattern that starts with `/` or `..` once cleaned matches nothing (moby/patternmatcher).
 */
export const matchesNothing = (pattern: string) => pattern.startsWith('/') || pattern === '..' || pattern.startsWith('../')
export const join = (...parts: string[]) => parts.filter(Boolean).join('/')

export function quote(source: string, dest: string): string {
  return /[\s"']/.test(source + dest) ? JSON.stringify([source, dest]).replace('","', '", "') : `${source} ${dest}`
}

/** Symlinks next to the excluded paths in one directory of X, and where that directory lands. */
export interface LinkLevel {
  dest: string
  links: string[]
}

export interface Plan {
  /** Each COPY's source and destination, quoted; `COPY` and the line's flags go before them (copyLines). */
  copies: string[]
  symlinks: string[]
  levels: LinkLevel[]
  /** Directories the rewrite creates with a different mode or owner than X has. */
  reshaped: string[]
  /** Entries whose names BuildKit would read as a pattern or a variable. */
  unsafe: string[]
}

/** Walks X's tree along the excluded paths: every other entry becomes one COPY, but symlinks are gathered per directory. */
export function plan(entries: TreeEntry[], source: string, dest: string, excludes: string[], chowned: boolean): Plan | {why: string} {
  const byPath = new Map(entries.map((entry) => [entry.path, entry]))
  const root = trim(source)
  if (root !== '' && byPath.get(root)?.type !== 'dir') return {why: `${source} is not a directory in the source`}
  const excluded = new Set(excludes.map((e) => join(root, trim(e))))
  const walked = new Set<string>([root])
  for (const path of excluded) {
    const parts = path.split('/')
    for (let i = 1; i < parts.length; i++) {
      const ancestor = parts.slice(0, i).join('/')
      if (ancestor.length <= root.length) continue
      const entry = byPath.get(ancestor)
      if (entry?.type === 'symlink') return {why: `/${ancestor} is a symlink, so an exclude below it cannot be walked`}
      walked.add(ancestor)
    }
  }
  const children = new Map<string, TreeEntry[]>()
  for (const entry of entries) {
    const slash = entry.path.lastIndexOf('/')
    const parent = slash === -1 ? '' : entry.path.slice(0, slash)
    children.set(parent, [...(children.get(parent) ?? []), entry])
  }
  const result: Plan = {copies: [], symlinks: [], levels: [], reshaped: [], unsafe: []}
  const destOf = (path: string) => '/' + join(trim(dest), path.slice(root.length).replace(/^\//, ''))
  const isDefaultDir = (entry: TreeEntry) => entry.mode === CREATED_DIR_MODE && (chowned || (entry.uid === 0 && entry.gid === 0))
  const visit = (dir: string) => {
    const level: LinkLevel = {dest: destOf(dir).replace(/\/?$/, '/'), links: []}
    result.levels.push(level)
    for (const entry of [...(children.get(dir) ?? [])].sort((a, b) => (a.path < b.path ? -1 : 1))) {
      if (excluded.has(entry.path)) continue
      if (walked.has(entry.path) && entry.type === 'dir') {
        if (!isDefaultDir(entry)) result.reshaped.push(`/${entry.path}`)
        visit(entry.path)
        continue
      }
      if (entry.type === 'symlink') {
        // copied inside a helper directory, so its name is never read as a pattern
        result.symlinks.push(`/${entry.path}`)
        level.links.push(`/${entry.path}`)
        if (UNSAFE.test(level.dest)) result.unsafe.push(`/${entry.path}`)
        continue
      }
      if (UNSAFE.test(entry.path + destOf(entry.path))) result.unsafe.push(`/${entry.path}`)
      if (entry.type === 'dir' && !isDefaultDir(entry)) result.reshaped.push(`/${entry.path}`)
      result.copies.push(quote(...notGit(entry, '/' + entry.path, destOf(entry.path))))
    }
  }
  visit(root)
  result.levels = result.levels.filter((level) => level.links.length > 0)
  return result
}

/**
 * A COPY source ending in `.git` is refused as a git repository ("source can't be a git ref for
 * COPY", BuildKit before dfgitutil): a directory is named with its trailing slash, a file with its
 * last letter as a one-character class, which matches only itself.
 */
export function notGit(entry: TreeEntry, source: string, dest: string): [string, string] {
  if (!source.endsWith('.git')) return [source, dest]
  return entry.type === 'dir' ? [`${source}/`, `${dest}/`] : [`${source.slice(0, -1)}[t]`, dest]
}

/** The entry a path names in X's tree, following symlinks the way the kernel would. */
export function resolvePath(byPath: Map<string, TreeEntry>, path: string): TreeEntry | undefined {
  let pending = path.split('/').filter(Boolean)
  let walked: string[] = []
  for (let hops = 0; pending.length > 0 && hops < 40;) {
    const [name = '', ...rest] = pending
    pending = rest
    if (name === '.') continue
    if (name === '..') {
      walked.pop()
      continue
    }
    const entry = byPath.get([...walked, name].join('/'))
    if (!entry) return undefined
    if (entry.type === 'symlink') {
      hops++
      const target = entry.linkname ?? ''
      if (target.startsWith('/')) walked = []
      pending = [...target.split('/').filter(Boolean), ...pending]
      continue
    }
    walked.push(name)
    if (pending.length === 0) return entry
  }
  return undefined
}
