import {closeSync, constants, existsSync, fstatSync, openSync, readSync, statSync} from 'node:fs'
import path from 'node:path'

// bundled from its ES module build (bin/build.js aliases it), loaded by Node from its UMD build
import * as jsonc from 'jsonc-parser'
import type {ParseError} from 'jsonc-parser'

import {DbuildError, ExitCode, readFailureExit} from './exit-codes.js'
import {FAILURE_THRESHOLDS, type FailureThreshold} from './failure-threshold.js'
import {isImagePrefix} from './image-reference.js'

export const CONFIG_FILE = '.dbuild.json'

export type RuleSetting = 'fix' | 'off' | 'warn'

export type {FailureThreshold}

/** The project's `.dbuild.json`. Every field is optional. */
export interface DbuildConfig {
  /** buildx cache specs for --cache-from; `{branch}` and `{default_branch}` expand. */
  cacheFrom?: string[]
  /** buildx cache specs for --cache-to, used only in CI or with --export-cache. */
  cacheTo?: string[]
  /** The branch `{default_branch}` expands to when git cannot tell. */
  defaultBranch?: string
  /** `dbuild lint` exits 1 on a finding of this severity or higher; default error. */
  failureThreshold?: FailureThreshold
  /** Group name → gid, for link-chown. */
  groups?: Record<string, number | string>
  /** `dbuild lint` settings: `exclude` lists fast-glob patterns, relative to this file, of Dockerfiles repository-wide lint skips. */
  lint?: {exclude?: string[]}
  /** Image reference prefix → mirror prefix, for image-mirror. */
  mirrors?: Record<string, string>
  /** Extra rule modules: files of the repository, relative to the config file; loaded only when plugins are allowed. */
  plugins?: string[]
  /** Rule id → fix | warn | off. */
  rules?: Record<string, RuleSetting>
  /** User name → "uid:gid" (the primary gid), for link-chown. */
  users?: Record<string, string>
}

export interface LoadedConfig {
  config: DbuildConfig
  /** Absolute path of the file, or undefined when no file was used. */
  path?: string
  /** A config that was found but not used, and why (see untrustedReason). */
  ignored?: {path: string; reason: string}
}

const KNOWN_KEYS = [
  '$schema',
  'cacheFrom',
  'cacheTo',
  'defaultBranch',
  'failureThreshold',
  'groups',
  'lint',
  'mirrors',
  'plugins',
  'rules',
  'users',
] as const

type JsonNode = jsonc.Node

/** What each of jsonc-parser's error codes means, in words, for the first syntax error of a file. */
const SYNTAX_MESSAGES: Record<string, string> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'a number is written wrong',
  PropertyNameExpected: 'expected a key in double quotes',
  ValueExpected: 'expected a value',
  ColonExpected: 'expected ":" after the key',
  CommaExpected: 'expected "," between two entries',
  CloseBraceExpected: 'expected "}" to close the object',
  CloseBracketExpected: 'expected "]" to close the list',
  EndOfFileExpected: 'unexpected text after the end of the object',
  InvalidCommentToken: 'comments are not allowed in .dbuild.json (it is plain JSON)',
  UnexpectedEndOfComment: 'a comment is not closed',
  UnexpectedEndOfString: 'a string is not closed (strings end with " on the same line)',
  UnexpectedEndOfNumber: 'a number ends too early',
  InvalidUnicode: 'invalid \\u escape in a string',
  InvalidEscapeCharacter: 'invalid escape in a string (use \\\\ for a backslash)',
  InvalidCharacter: 'a control character (a tab or newline?) inside a string; write it as \\t or \\n',
}

/** One mistake in the file, at a character offset. */
interface Problem {
  offset: number
  message: string
}

/** "line:column" (both 1-based) of offsets into `text`, in one pass over the line starts. */
function positionFinder(text: string): (offset: number) => string {
  const starts = [0]
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1)
  return (offset) => {
    let low = 0
    let high = starts.length - 1
    while (low < high) {
      const mid = (low + high + 1) >>> 1
      if ((starts[mid] as number) <= offset) low = mid
      else high = mid - 1
    }
    return `${low + 1}:${offset - (starts[low] as number) + 1}`
  }
}

/** A syntax error in words; a comma just before the closing bracket is JSON's usual trap. */
function syntaxMessage(text: string, offset: number, code: string): string {
  const before = text.slice(0, offset).trimEnd()
  if ((code === 'ValueExpected' || code === 'PropertyNameExpected') && before.endsWith(',') && /^\s*[\]}]/.test(text.slice(offset))) {
    return 'a trailing comma is not allowed in JSON: remove the "," before the closing bracket'
  }
  return `invalid JSON: ${SYNTAX_MESSAGES[code] ?? code}`
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const CONTROL = /[\u0000-\u001f\u007f]/

/** Why a string from the config cannot be passed on (it could start a new Dockerfile line or argv word). */
function controlProblem(value: string): string | undefined {
  return CONTROL.test(value) ? 'contains a control character (a newline or tab), which is never valid here' : undefined
}

/**
 * Why a cache spec (--cache-from/--cache-to, as `dbuild setup` writes it into cacheFrom) is refused:
 * the same test the config applies when it reads the list back, so setup never writes a config every
 * later command would refuse.
 */
export function cacheSpecProblem(spec: string): string | undefined {
  if (spec.trim() === '') return 'is empty'
  return controlProblem(spec)
}

/** Longer than any real path pattern: the config is untrusted input, and a glob is matched against every path. */
const MAX_PATTERN_LENGTH = 1024

/**
 * Why a lint exclude pattern is refused: it is a fast-glob pattern relative to the config's
 * directory, so no absolute path, no `..`, no negation (fast-glob's ignore has none), and no
 * numeric brace range (`{1..99999999}` expands to that many patterns before anything is matched).
 */
export function excludeProblem(pattern: string): string | undefined {
  if (pattern.trim() === '') return 'is empty'
  if (pattern.length > MAX_PATTERN_LENGTH) return `is longer than ${MAX_PATTERN_LENGTH} characters`
  const control = controlProblem(pattern)
  if (control) return control
  if (pattern.startsWith('/') || /^[A-Za-z]:[\\/]/.test(pattern))
    return `${JSON.stringify(pattern)} is absolute; patterns are relative to the directory linted or to .dbuild.json`
  if (pattern.split('/').includes('..')) return `${JSON.stringify(pattern)} leaves the directory with ..`
  if (pattern.startsWith('!')) return `${JSON.stringify(pattern)} is a negation, which exclude patterns cannot express`
  if (/\{[^}]*\.\.[^}]*\}/.test(pattern)) return `${JSON.stringify(pattern)} has a brace range ({a..b}); list the names instead`
  return undefined
}

const describe = (value: unknown) =>
  Array.isArray(value)
    ? 'a list'
    : value === null
      ? 'null'
      : typeof value === 'object'
        ? 'an object'
        : `${typeof value} ${JSON.stringify(value)}`

/** A short "did you mean" for a misspelt key. */
function nearestKey(key: string): string | undefined {
  const lower = key.toLowerCase()
  return KNOWN_KEYS.find(
    (known) => known.toLowerCase() === lower || (lower.length > 3 && known.toLowerCase().startsWith(lower.slice(0, 4))),
  )
}

const PLUGIN_PATH = /^\.\.?\//

/** Checks one top-level key; every mistake is collected, not only the first. */
function checkKey(key: string, node: JsonNode, problems: Problem[]): void {
  const value: unknown = jsonc.getNodeValue(node)
  const fail = (at: JsonNode, message: string): void => {
    problems.push({offset: at.offset, message})
  }
  const entries = (): [JsonNode, JsonNode][] =>
    (node.children ?? []).flatMap((property) =>
      property.children?.length === 2 ? [[property.children[0], property.children[1]] as [JsonNode, JsonNode]] : [],
    )
  const stringList = (check?: (item: string) => string | undefined): void => {
    if (node.type !== 'array') return fail(node, `"${key}" must be a list of strings, not ${describe(value)}`)
    for (const [index, item] of (node.children ?? []).entries()) {
      if (item.type !== 'string') fail(item, `"${key}"[${index}] must be a string, not ${describe(item.value)}`)
      else {
        const problem = controlProblem(item.value as string) ?? check?.(item.value as string)
        if (problem) fail(item, `"${key}"[${index}] ${problem}`)
      }
    }
  }
  const object = (checkEntry: (name: string, nameNode: JsonNode, entry: JsonNode) => void): void => {
    if (node.type !== 'object') return fail(node, `"${key}" must be an object, not ${describe(value)}`)
    for (const [nameNode, entry] of entries()) checkEntry(nameNode.value as string, nameNode, entry)
  }
  switch (key) {
    case '$schema':
      return
    case 'cacheFrom':
    case 'cacheTo':
      return stringList()
    case 'plugins':
      return stringList((item) =>
        PLUGIN_PATH.test(item)
          ? undefined
          : `"${item}" must be a path relative to .dbuild.json that starts with ./ or ../ (URLs, absolute paths ` +
            `and package names are refused: a plugin is a file of this repository)`,
      )
    case 'defaultBranch':
      if (node.type !== 'string') return fail(node, `"defaultBranch" must be a string, not ${describe(value)}`)
      if (/[\s~^:?*[\\]|\.\.|^-/.test(value as string) || controlProblem(value as string))
        fail(node, `"defaultBranch" ${JSON.stringify(value)} is not a branch name git accepts`)
      return
    case 'mirrors':
      return object((name, nameNode, entry) => {
        if (!isImagePrefix(name))
          fail(nameNode, `"mirrors" key ${JSON.stringify(name)} is not an image name (docker.io/library/node) or a registry host (ghcr.io)`)
        if (entry.type !== 'string')
          fail(entry, `"mirrors" value for ${JSON.stringify(name)} must be a string, not ${describe(entry.value)}`)
        else if (!isImagePrefix((entry.value as string).replace(/\/+$/, ''))) {
          fail(
            entry,
            `"mirrors" value ${JSON.stringify(entry.value)} for ${JSON.stringify(name)} is not an image name or ` +
              `registry host (lower-case name, no tag, no spaces or newlines)`,
          )
        }
      })
    case 'failureThreshold':
      if (!(FAILURE_THRESHOLDS as readonly unknown[]).includes(value))
        fail(node, `"failureThreshold" must be "error", "warning", "info" or "none", not ${describe(value)}`)
      return
    case 'rules':
      return object((name, _nameNode, entry) => {
        if (entry.value !== 'fix' && entry.value !== 'warn' && entry.value !== 'off')
          fail(entry, `"rules" value for "${name}" must be "fix", "warn" or "off", not ${describe(entry.value)}`)
      })
    case 'users':
      return object((name, _nameNode, entry) => {
        if (entry.type !== 'string' || !/^\d+:\d+$/.test(entry.value as string))
          fail(entry, `"users" value for "${name}" must be a "uid:gid" string such as "1000:1000", not ${describe(entry.value)}`)
      })
    case 'lint':
      return object((name, nameNode, entry) => {
        if (name !== 'exclude')
          return fail(nameNode, `"lint" has no key ${JSON.stringify(name)}; it takes "exclude" (a list of glob patterns)`)
        if (entry.type !== 'array') return fail(entry, `"lint"."exclude" must be a list of strings, not ${describe(entry.value)}`)
        for (const [index, item] of (entry.children ?? []).entries()) {
          const problem = item.type === 'string' ? excludeProblem(item.value as string) : `must be a string, not ${describe(item.value)}`
          if (problem) fail(item, `"lint"."exclude"[${index}] ${problem}`)
        }
      })
    case 'groups':
      return object((name, _nameNode, entry) => {
        const ok =
          (entry.type === 'number' && Number.isInteger(entry.value) && (entry.value as number) >= 0) ||
          (entry.type === 'string' && /^\d+$/.test(entry.value as string))
        if (!ok) fail(entry, `"groups" value for "${name}" must be a numeric gid such as 100, not ${describe(entry.value)}`)
      })
  }
}

/** Deeper than any valid config (three levels) by far, and far below what the recursive parser survives. */
const MAX_DEPTH = 64

/** The offset of the first `{` or `[` nested deeper than MAX_DEPTH, outside strings; undefined when none is. */
function tooDeepAt(text: string): number | undefined {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const char = text[i]
    if (inString) {
      if (char === '\\') i++
      else if (char === '"') inString = false
    } else if (char === '"') inString = true
    else if (char === '{' || char === '[') {
      if (++depth > MAX_DEPTH) return i
    } else if (char === '}' || char === ']') depth--
  }
  return undefined
}

/**
 * Parses and validates config text. A syntax error, or every schema mistake at once, is one
 * DbuildError whose lines read `file:line:column: what is wrong`.
 */
export function parseConfig(text: string, file: string): DbuildConfig {
  const {parseTree, printParseErrorCode, getNodeValue} = jsonc
  const position = positionFinder(text)
  const deep = tooDeepAt(text)
  if (deep !== undefined) {
    throw new DbuildError(
      `${file}:${position(deep)}: nested more than ${MAX_DEPTH} levels deep; a .dbuild.json needs three at most`,
      ExitCode.CONFIG,
      [`Fix ${file} at the line named.`],
    )
  }
  const errors: ParseError[] = []
  const root = parseTree(text, errors, {allowTrailingComma: false, disallowComments: true, allowEmptyContent: false})
  const [first] = errors
  if (first) {
    throw new DbuildError(
      `${file}:${position(first.offset)}: ${syntaxMessage(text, first.offset, printParseErrorCode(first.error))}`,
      ExitCode.CONFIG,
      [`Fix the JSON syntax in ${file}.`],
    )
  }
  if (root?.type !== 'object')
    throw new DbuildError(
      `${file}:1:1: expected a JSON object ({ … }), found ${root ? describe(getNodeValue(root)) : 'nothing'}`,
      ExitCode.CONFIG,
    )
  const problems: Problem[] = []
  const seen = new Set<string>()
  for (const property of root.children ?? []) {
    const [keyNode, valueNode] = property.children ?? []
    if (!keyNode || !valueNode) continue
    const key = keyNode.value as string
    if (seen.has(key)) problems.push({offset: keyNode.offset, message: `"${key}" is given twice; keep one`})
    seen.add(key)
    if ((KNOWN_KEYS as readonly string[]).includes(key)) checkKey(key, valueNode, problems)
    else {
      const near = nearestKey(key)
      problems.push({
        offset: keyNode.offset,
        message: `unknown key "${key}"${near ? ` (did you mean "${near}"?)` : ''}; known keys: ${KNOWN_KEYS.filter((k) => k !== '$schema').join(', ')}`,
      })
    }
  }
  if (problems.length > 0) {
    const lines = problems.map((problem) => `${file}:${position(problem.offset)}: ${problem.message}`)
    throw new DbuildError(lines.join('\n'), ExitCode.CONFIG, [
      problems.length === 1 ? `Fix ${file} at the line named.` : `Fix the ${problems.length} mistakes in ${file}.`,
    ])
  }
  return getNodeValue(root) as DbuildConfig
}

/** Far more than any real config; a bigger file is a mistake, or something that never ends. */
export const MAX_CONFIG_BYTES = 1024 * 1024

function kindOf(stats: ReturnType<typeof fstatSync>): string {
  if (stats.isFIFO()) return 'a FIFO'
  if (stats.isCharacterDevice()) return 'a character device'
  if (stats.isBlockDevice()) return 'a block device'
  if (stats.isSocket()) return 'a socket'
  return stats.isDirectory() ? 'a directory' : 'not a regular file'
}

/**
 * The text of a config file. A repository's config is untrusted input: a FIFO, a device or a link to
 * /proc/self/fd/0 would block a read forever, so only a regular file is read (opened non-blocking, so
 * that opening a FIFO does not wait for a writer), and no more than MAX_CONFIG_BYTES of it.
 */
export function readConfigText(file: string): string {
  let fd: number
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENXIO')
      throw new DbuildError(`${file}:1:1: not a regular file (a socket); .dbuild.json must be a plain JSON file`, ExitCode.CONFIG)
    throw new DbuildError(`${file}: cannot read config: ${code ?? (error as Error).message}`, readFailureExit(error))
  }
  try {
    const stats = fstatSync(fd)
    if (!stats.isFile())
      throw new DbuildError(`${file}:1:1: ${kindOf(stats)}, not a regular file; .dbuild.json must be a plain JSON file`, ExitCode.CONFIG)
    const tooBig = () =>
      new DbuildError(`${file}:1:1: larger than ${MAX_CONFIG_BYTES / 1024} KiB; a .dbuild.json is a few lines of JSON`, ExitCode.CONFIG)
    if (stats.size > MAX_CONFIG_BYTES) throw tooBig()
    const buffer = Buffer.alloc(MAX_CONFIG_BYTES + 1)
    let length = 0
    for (let read = 1; read > 0 && length < buffer.length; length += read) read = readSync(fd, buffer, length, buffer.length - length, null)
    if (length > MAX_CONFIG_BYTES) throw tooBig()
    return buffer.toString('utf8', 0, length)
  } catch (error) {
    if (error instanceof DbuildError) throw error
    throw new DbuildError(`${file}: cannot read config: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, ExitCode.IO)
  } finally {
    closeSync(fd)
  }
}

export function loadConfigFile(file: string): LoadedConfig {
  const absolute = path.resolve(file)
  return {config: parseConfig(readConfigText(absolute), absolute), path: absolute}
}

/**
 * Why a config file found by searching must not be trusted, or undefined when it may be read: like
 * git's safe.directory, a file or directory that another user owns, or that anyone may write, could
 * have been planted by someone else (a shared /tmp, a world-writable checkout).
 */
export function untrustedReason(file: string): string | undefined {
  const uid = process.getuid?.()
  for (const target of [path.dirname(file), file]) {
    let stats
    try {
      stats = statSync(target)
    } catch {
      continue // a file that cannot be read fails with its own message when it is read
    }
    const what = target === file ? 'the file' : `its directory ${target}`
    if (uid !== undefined && stats.uid !== uid) return `${what} belongs to uid ${stats.uid}, not to you (uid ${uid})`
    if (stats.mode & 0o002) return `${what} is writable by every user`
  }
  return undefined
}

/**
 * Finds `.dbuild.json` for a context: from `startDir` upward to `stopDir` (the git work tree's top)
 * when given; outside a git work tree only `startDir` itself, so a config in a shared directory above
 * the context is never picked up. A config that fails untrustedReason is not used (see `ignored`).
 */
export function findConfig(startDir: string, stopDir?: string): LoadedConfig {
  let dir = path.resolve(startDir)
  const stop = stopDir === undefined ? dir : path.resolve(stopDir)
  for (;;) {
    const candidate = path.join(dir, CONFIG_FILE)
    if (existsSync(candidate)) {
      const reason = untrustedReason(candidate)
      if (reason) return {config: {}, ignored: {path: candidate, reason}}
      return loadConfigFile(candidate)
    }
    const parent = path.dirname(dir)
    if (dir === stop || parent === dir) return {config: {}}
    dir = parent
  }
}

/** The one stderr line every command prints about its config, and the warning when one was refused. */
export function configLines(loaded: LoadedConfig): {note: string; warning?: string} {
  if (loaded.ignored) {
    return {
      note: 'config: none used',
      warning:
        `${loaded.ignored.path} was not used: ${loaded.ignored.reason}. Fix the owner or mode (chmod o-w), ` +
        `or name the file with --config if you trust it.`,
    }
  }
  return {note: loaded.path ? `config: ${loaded.path}` : 'config: none (no .dbuild.json found)'}
}
