/**
 * .dockerignore matching exactly as BuildKit applies it when it sends a context.
 *
 * buildx reads the file with moby/patternmatcher's `ignorefile.ReadAll` and fsutil walks the
 * context with `PatternMatcher.MatchesUsingParentResults`. `@balena/dockerignore` ports the
 * older moby 19.03 `Matches`, and checked against the real engine (test/integration/stage-ignore)
 * it differs in three ways, so this module ports the current code instead:
 * - a pattern is matched against a path, or carried down from a parent that matched it; a pattern
 *   skipped at the parent (an exception evaluated while nothing was excluded yet) is not re-tried on
 *   ancestors. `x/y` then `!x` excludes `x/y` in BuildKit; balena keeps it.
 * - regexp metacharacters `+ ( )` are literal in BuildKit; balena builds an invalid or wrong
 *   regexp from `c++` or `(p)`.
 * - character classes are Go's (`[[:alpha:]]`, `[\d]`, `[^[:space:]]`, `[\p{L}]`; see go-pattern.ts),
 *   and a pattern that Go's filepath.Match rejects (`[`, `[]`, `a\`) fails the build.
 * - a pattern starting with `**` and no other wildcard is a plain suffix test: `**foo` excludes
 *   `barfoo`; balena only excludes `foo` and `dir/foo`.
 * Case is significant, as on Linux.
 */
import {statSync} from 'node:fs'
import path from 'node:path'

import {DbuildError, ExitCode} from '../exit-codes.js'
import {goMatchFails, goRegexp, GoRegexpError} from './go-pattern.js'

export interface IgnorePattern {
  /** The cleaned pattern without its `!`. */
  pattern: string
  /** A `!` exception: a match re-includes the path. */
  exception: boolean
  /** 1-based line in the ignore file, for error messages. */
  line: number
  test(relPath: string): boolean
}

/** Per-path record of which patterns matched it, handed to its children (fsutil's MatchInfo). */
export type MatchInfo = readonly boolean[] | undefined

const UTF8_BOM = '\uFEFF'
/**
 * What patternmatcher escapes in the regexp: it means `.+()|{}$`, but its bitmap only holds bytes
 * below 64, so `|`, `{` and `}` keep their regexp meaning (`a{2}*`, `x|y*`), as BuildKit shows.
 */
const ESCAPED = new Set(['.', '+', '(', ')', '$'])
const GLOB_CHARS = /[*?[\\]/

/** Go's filepath.Clean for slash paths. */
function cleanPath(value: string): string {
  const normalized = path.posix.normalize(value)
  return normalized.length > 1 && normalized.endsWith('/') ? normalized.slice(0, -1) : normalized
}

/**
 * patternmatcher's Pattern.compile: an exact, prefix, suffix or regexp test. The regexp is written
 * in Go's syntax exactly as patternmatcher writes it, then compiled as Go would (see go-pattern.ts),
 * when it is first needed: Go's error for a regexp it cannot compile also comes only then.
 */
function compile(pattern: string, where: string): (relPath: string) => boolean {
  let source = '^'
  let kind: 'exact' | 'prefix' | 'suffix' | 'regexp' = 'exact'
  const chars = [...pattern]
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] as string
    if (ch === '*') {
      if (chars[i + 1] === '*') {
        const atStart = i === 0
        i++
        if (chars[i + 1] === '/') i++ // `**/` means the same as `**`
        if (i + 1 >= chars.length) {
          if (kind === 'exact') kind = 'prefix'
          else {
            source += '.*'
            kind = 'regexp'
          }
        } else {
          source += '(.*/)?'
          kind = 'regexp'
        }
        if (atStart) kind = 'suffix'
      } else {
        source += '[^/]*'
        kind = 'regexp'
      }
    } else if (ch === '?') {
      source += '[^/]'
      kind = 'regexp'
    } else if (ESCAPED.has(ch)) {
      source += '\\' + ch
    } else if (ch === '\\') {
      if (i + 1 < chars.length) {
        source += '\\' + chars[++i]
        kind = 'regexp'
      } else source += '\\'
    } else if (ch === '[' || ch === ']') {
      source += ch
      kind = 'regexp'
    } else source += ch
  }
  switch (kind) {
    case 'exact':
      return (relPath) => relPath === pattern
    case 'prefix': {
      const prefix = pattern.slice(0, -2)
      return (relPath) => relPath.startsWith(prefix)
    }
    case 'suffix': {
      const suffix = pattern.slice(2)
      return (relPath) => relPath.endsWith(suffix) || (suffix.startsWith('/') && relPath === suffix.slice(1))
    }
    default: {
      let regexp: RegExp | undefined
      return (relPath) => {
        if (regexp === undefined) {
          try {
            regexp = goRegexp(source + '$')
          } catch (error) {
            if (!(error instanceof GoRegexpError)) throw error
            throw new DbuildError(`${where}: syntax error in pattern ${JSON.stringify(pattern)} (${error.message})`, ExitCode.INPUT)
          }
        }
        return regexp.test(relPath)
      }
    }
  }
}

/** Parses .dockerignore text as buildx does (ignorefile.ReadAll, then patternmatcher.New). */
export function parseIgnoreFile(text: string, file = '.dockerignore'): IgnorePattern[] {
  const patterns: IgnorePattern[] = []
  const lines = text.split('\n')
  for (const [index, raw] of lines.entries()) {
    const line = index === 0 && raw.startsWith(UTF8_BOM) ? raw.slice(1) : raw
    if (line.startsWith('#')) continue
    let pattern = line.trim()
    if (pattern === '') continue
    const exception = pattern.startsWith('!')
    if (exception) pattern = pattern.slice(1).trim()
    if (pattern.length > 0) {
      pattern = cleanPath(pattern)
      if (pattern.length > 1 && pattern.startsWith('/')) pattern = pattern.slice(1)
    }
    const where = `${file}:${index + 1}`
    if (exception && pattern === '') throw new DbuildError(`${where}: illegal exclusion pattern "!"`, ExitCode.INPUT)
    pattern = cleanPath(pattern)
    // patternmatcher.New asks filepath.Match for its verdict on the syntax; buildx then fails the build
    if (goMatchFails(pattern)) throw new DbuildError(`${where}: syntax error in pattern ${JSON.stringify(pattern)}`, ExitCode.INPUT)
    patterns.push({pattern, exception, line: index + 1, test: compile(pattern, where)})
  }
  return patterns
}

/** The literal text before the first wildcard of a pattern. */
function literalPrefix(pattern: string): string {
  const at = pattern.search(GLOB_CHARS)
  return at === -1 ? pattern : pattern.slice(0, at)
}

export class IgnoreMatcher {
  readonly patterns: IgnorePattern[]
  private readonly exceptions: IgnorePattern[]

  constructor(patterns: IgnorePattern[]) {
    this.patterns = patterns
    this.exceptions = patterns.filter((p) => p.exception)
  }

  get isEmpty(): boolean {
    return this.patterns.length === 0
  }

  /**
   * Whether BuildKit leaves `relPath` out, given its parent's MatchInfo (undefined for top-level
   * entries). A port of patternmatcher's MatchesUsingParentResults.
   */
  match(relPath: string, parent: MatchInfo): {excluded: boolean; info: MatchInfo} {
    if (this.patterns.length === 0) return {excluded: false, info: undefined}
    let excluded = false
    let info: boolean[] | undefined // allocated on the first match: most paths match nothing
    for (let i = 0; i < this.patterns.length; i++) {
      const pattern = this.patterns[i] as IgnorePattern
      let matched = parent?.[i] ?? false
      if (!matched) {
        // an exception is only tried on an excluded path, an exclusion only on an included one
        if (pattern.exception !== excluded) continue
        matched = pattern.test(relPath)
      }
      if (matched) {
        info ??= Array.from({length: this.patterns.length}, () => false)
        info[i] = true
        excluded = !pattern.exception
      }
    }
    return {excluded, info}
  }

  /**
   * Whether an excluded directory may hold a path that an exception re-includes; if not, the walk
   * never descends into it. Conservative: any exception whose literal prefix is compatible counts.
   */
  mayIncludeBelow(dirRelPath: string): boolean {
    const dirSlash = dirRelPath + '/'
    for (const exception of this.exceptions) {
      const prefix = literalPrefix(exception.pattern)
      if (prefix === exception.pattern) {
        if (exception.pattern.startsWith(dirSlash)) return true
      } else if (prefix.startsWith(dirSlash) || dirSlash.startsWith(prefix)) return true
      else if (exception.pattern.startsWith('**')) return true
    }
    return false
  }
}

/**
 * The ignore file buildx applies: `<Dockerfile>.dockerignore` when it is a file, else
 * `<context>/.dockerignore` (which may not exist). buildx passes over a directory of either name.
 */
export function ignoreFileFor(contextDir: string, dockerfile?: string): string {
  const specific = dockerfile === undefined ? undefined : `${dockerfile}.dockerignore`
  return specific !== undefined && (statSync(specific, {throwIfNoEntry: false})?.isFile() ?? false)
    ? specific
    : path.join(contextDir, '.dockerignore')
}
