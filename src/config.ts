import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {createRequire} from 'node:module'

import type {ParseError} from 'jsonc-parser'

import {DbuildError, ExitCode} from './exit-codes.js'

export const CONFIG_FILE = '.dbuild.json'

export type RuleSetting = 'fix' | 'off' | 'warn'

/** The lowest finding severity that makes `dbuild lint` exit 1 (none: never), as hadolint's --failure-threshold. */
export type FailureThreshold = 'error' | 'warning' | 'info' | 'none'
export const FAILURE_THRESHOLDS: readonly FailureThreshold[] = ['error', 'warning', 'info', 'none']

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
  /** Image reference prefix → mirror prefix, for image-mirror. */
  mirrors?: Record<string, string>
  /** Extra rule modules (paths relative to the config file, or package names). */
  plugins?: string[]
  /** Rule id → fix | warn | off. */
  rules?: Record<string, RuleSetting>
  /** User name → "uid:gid" (the primary gid), for link-chown. */
  users?: Record<string, string>
}

export interface LoadedConfig {
  config: DbuildConfig
  /** Absolute path of the file, or undefined when no file was found. */
  path?: string
}

const KNOWN_KEYS = new Set(['$schema', 'cacheFrom', 'cacheTo', 'defaultBranch', 'failureThreshold', 'groups', 'mirrors', 'plugins', 'rules', 'users'])

type Jsonc = typeof import('jsonc-parser')
let jsonc: Jsonc | undefined
/** Loaded on first use: most builds find no .dbuild.json, and start-up time is part of every build. */
const loadJsonc = (): Jsonc => (jsonc ??= createRequire(import.meta.url)('jsonc-parser') as Jsonc)

/** 1-based line of a character offset. */
function lineOf(text: string, offset: number): number {
  return text.slice(0, Math.max(0, offset)).split('\n').length
}

/** The line where `"key"` first appears, for error messages about a field. */
function lineOfKey(text: string, key: string): number {
  const at = text.indexOf(JSON.stringify(key))
  return at === -1 ? 1 : lineOf(text, at)
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string')
}

function isRecordOf(value: unknown, ok: (v: unknown) => boolean): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every(ok)
}

/** Parses and validates config text; errors name the file and line. */
export function parseConfig(text: string, file: string): DbuildConfig {
  // jsonc-parser in strict mode: JSON.parse's errors carry no position on Node 20.
  const errors: ParseError[] = []
  const {parse, printParseErrorCode} = loadJsonc()
  const raw: unknown = parse(text, errors, {allowTrailingComma: false, disallowComments: true, allowEmptyContent: false})
  const [first] = errors
  if (first) {
    throw new DbuildError(`${file}:${lineOf(text, first.offset)}: invalid JSON: ${printParseErrorCode(first.error)}`, ExitCode.CONFIG, [
      `Fix the JSON syntax in ${file}.`,
    ])
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new DbuildError(`${file}:1: expected a JSON object`, ExitCode.CONFIG)
  }
  const fail = (key: string, expected: string): never => {
    throw new DbuildError(`${file}:${lineOfKey(text, key)}: "${key}" must be ${expected}`, ExitCode.CONFIG)
  }
  const obj = raw as Record<string, unknown>
  for (const key of Object.keys(obj)) {
    if (!KNOWN_KEYS.has(key)) fail(key, `one of the known keys (${[...KNOWN_KEYS].filter((k) => k !== '$schema').join(', ')})`)
  }
  for (const key of ['cacheFrom', 'cacheTo', 'plugins'] as const) {
    if (obj[key] !== undefined && !isStringArray(obj[key])) fail(key, 'an array of strings')
  }
  if (obj.defaultBranch !== undefined && typeof obj.defaultBranch !== 'string') fail('defaultBranch', 'a string')
  if (obj.failureThreshold !== undefined && !(FAILURE_THRESHOLDS as readonly unknown[]).includes(obj.failureThreshold)) fail('failureThreshold', '"error", "warning", "info" or "none"')
  if (obj.mirrors !== undefined && !isRecordOf(obj.mirrors, (v) => typeof v === 'string')) fail('mirrors', 'an object of strings')
  if (obj.rules !== undefined && !isRecordOf(obj.rules, (v) => v === 'fix' || v === 'warn' || v === 'off')) {
    fail('rules', 'an object whose values are "fix", "warn" or "off"')
  }
  if (obj.users !== undefined && !isRecordOf(obj.users, (v) => typeof v === 'string' && /^\d+:\d+$/.test(v))) {
    fail('users', 'an object of "uid:gid" strings')
  }
  if (obj.groups !== undefined && !isRecordOf(obj.groups, (v) => (typeof v === 'number' && Number.isInteger(v) && v >= 0) || (typeof v === 'string' && /^\d+$/.test(v)))) {
    fail('groups', 'an object of numeric gids')
  }
  return obj as DbuildConfig
}

export function loadConfigFile(file: string): LoadedConfig {
  const absolute = path.resolve(file)
  let text: string
  try {
    text = readFileSync(absolute, 'utf8')
  } catch (error) {
    throw new DbuildError(`${absolute}: cannot read config: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, ExitCode.NO_INPUT)
  }
  return {config: parseConfig(text, absolute), path: absolute}
}

/**
 * Finds `.dbuild.json` from `startDir` upward, stopping at `stopDir` (the git root) when given,
 * else at the filesystem root. Returns an empty config when there is none.
 */
export function findConfig(startDir: string, stopDir?: string): LoadedConfig {
  let dir = path.resolve(startDir)
  const stop = stopDir === undefined ? undefined : path.resolve(stopDir)
  for (;;) {
    const candidate = path.join(dir, CONFIG_FILE)
    if (existsSync(candidate)) return loadConfigFile(candidate)
    const parent = path.dirname(dir)
    if (dir === stop || parent === dir) return {config: {}}
    dir = parent
  }
}
