import {existsSync} from 'node:fs'
import path from 'node:path'

import {decodeBytes} from './surrogate-escape.js'

/** Runs git in `cwd` and returns trimmed stdout, or undefined when git fails (not a repo, no git). */
export async function gitOutput(cwd: string, args: string[]): Promise<string | undefined> {
  // loaded on first use: importing execa costs a cached build more than running git does (see workTreeTop)
  const {execa} = await import('execa')
  const result = await execa('git', args, {cwd, reject: false, stripFinalNewline: true})
  return result.exitCode === 0 ? result.stdout : undefined
}

/** The work tree's top directory, or undefined outside a git work tree. */
export async function gitRoot(cwd: string): Promise<string | undefined> {
  return gitOutput(cwd, ['rev-parse', '--show-toplevel'])
}

/** Variables that move git's repository discovery away from "the nearest `.git` upward". */
const DISCOVERY_VARIABLES = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_CEILING_DIRECTORIES'] as const

/**
 * The top of the work tree holding `dir`, found as git finds it: the nearest directory upward with a
 * `.git` (a directory, or a file in worktrees and submodules). No git process on every build's hot
 * path; when the environment steers git's discovery, git itself is asked (gitRoot). Unlike gitRoot it
 * answers in `dir`'s own spelling (no symlinks resolved), so it can bound a walk up from `dir`.
 */
export async function workTreeTop(dir: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  if (DISCOVERY_VARIABLES.some((name) => env[name])) return gitRoot(dir)
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    if (existsSync(path.join(at, '.git'))) return at
    if (path.dirname(at) === at) return undefined
  }
}

/** One path in git's index, as `git ls-files -s` lists it. */
export interface IndexEntry {
  /** git's mode: 100644, 100755, 120000 (symlink) or 160000 (submodule). */
  mode: string
  /**
   * Relative to the directory git ran in, slash-separated: git's bytes through the one codec
   * (src/surrogate-escape.ts), so a name that is not UTF-8 keeps each such byte as an escape and
   * reaches fs calls byte for byte through fsPath (src/stage/names.ts).
   */
  rel: string
}

/** git's index modes that are not regular files. */
const SYMLINK = '120000'
const GITLINK = '160000'

/** Whether an index entry is a regular file (not a symlink or a submodule). */
export function isRegularEntry(entry: IndexEntry): boolean {
  return entry.mode !== SYMLINK && entry.mode !== GITLINK
}

/**
 * The one reader of `git ls-files -s`: every tracked path below `cwd` with its mode, once (a conflicted
 * path has one record per stage). Undefined when git fails (not a work tree); `failure` gets git's first
 * line of stderr for the caller's message.
 */
export async function readIndex(cwd: string, failure?: (message: string) => void): Promise<IndexEntry[] | undefined> {
  const {execa} = await import('execa')
  // bytes, not text: decoding git's output as UTF-8 would turn every byte of a name that is not UTF-8
  // into U+FFFD, and such a file would never be found again (its mode never fixed, the cache missed)
  const result = await execa('git', ['ls-files', '-s', '-z'], {cwd, reject: false, stripFinalNewline: false, encoding: 'buffer'})
  if (result.exitCode !== 0) {
    failure?.(Buffer.from(result.stderr).toString('utf8').trim().split('\n')[0] || 'git ls-files failed')
    return undefined
  }
  const stdout = Buffer.from(result.stdout)
  const entries: IndexEntry[] = []
  let last: string | undefined
  for (let start = 0; start < stdout.length;) {
    let end = stdout.indexOf(0, start)
    if (end === -1) end = stdout.length
    // "<mode> <object> <stage>\t<path>"; git lists the stages of one path together
    const tab = stdout.indexOf(0x09, start)
    if (tab !== -1 && tab < end) {
      const rel = decodeBytes(stdout.subarray(tab + 1, end))
      if (rel !== last) {
        last = rel
        entries.push({mode: stdout.toString('latin1', start, stdout.indexOf(0x20, start)), rel})
      }
    }
    start = end + 1
  }
  return entries
}

/**
 * Re-reads the stat data of every index entry after a chmod (which changes ctime), so that git sees the
 * files as unchanged: without it `git reset --hard` rewrites each of them, under the umask.
 */
export async function refreshIndex(cwd: string): Promise<void> {
  const {execa} = await import('execa')
  // -q: a file that really differs is not an error here; --refresh only writes stat data
  await execa('git', ['update-index', '-q', '--refresh'], {cwd, reject: false})
}
