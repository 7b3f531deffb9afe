/**
 * Install, uninstall and status: plain functions over the hooks directory git actually uses.
 * A foreign hook is moved aside to `<hook>.dbuild-chained` (rename keeps its bytes and mode) and run by
 * dbuild's hook; uninstall moves it back.
 */
import {chmodSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {DbuildError, ExitCode} from '../exit-codes.js'
import {gitOutput, gitRoot} from '../git.js'
import {CHAINED_SUFFIX, HOOK_NAMES, HOOK_VERSION, type HookName, hookScript, hookVersion} from './scripts.js'

export type HookState = 'foreign' | 'installed' | 'missing'

export interface HookReport {
  name: HookName
  state: HookState
  /** The hook file's path. */
  path: string
  /** A foreign hook kept aside and run by dbuild's hook. */
  chained: boolean
  /** dbuild's version in an installed hook. */
  version?: number
  /** An installed hook older than this dbuild. */
  outdated?: boolean
}

export interface HooksLocation {
  /** Absolute hooks directory. */
  dir: string
  /** The work tree's top directory. */
  root: string
  /** core.hooksPath when set (a hook manager such as husky usually sets it). */
  hooksPath?: string
  /** Advice when the directory is one that a hook manager regenerates. */
  note?: string
}

export type HookAction = 'chained' | 'installed' | 'removed' | 'restored' | 'unchanged' | 'updated'

export interface HookChange extends HookReport {
  action: HookAction
}

/** Husky (v9: core.hooksPath=.husky/_) rewrites its hooks directory on every `npm install`. */
function managerNote(dir: string, root: string): string | undefined {
  const rel = path.relative(root, dir).split(path.sep).join('/')
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined
  if (/(^|\/)\.husky(\/_)?$/.test(rel)) {
    return `core.hooksPath is husky's ${rel}; husky rewrites it on \`npm install\`. Keep dbuild's hooks by adding it to package.json: "prepare": "husky && dbuild hook install"`
  }
  return `core.hooksPath points into the work tree (${rel}); if a hook manager regenerates that directory, run \`dbuild hook install\` after it.`
}

/** The hooks directory of the repository holding `cwd` (`git rev-parse --git-path hooks`: core.hooksPath and worktrees). */
export async function locateHooks(cwd: string): Promise<HooksLocation> {
  const root = await gitRoot(cwd)
  if (root === undefined) {
    throw new DbuildError(`${path.resolve(cwd)}: not a git work tree`, ExitCode.NO_INPUT, ['Run dbuild hook in a git checkout.'])
  }
  // core.hooksPath is relative to the work tree's top, where git runs hooks, so ask from there.
  const gitPath = await gitOutput(root, ['rev-parse', '--git-path', 'hooks'])
  if (gitPath === undefined) throw new DbuildError(`${root}: git rev-parse --git-path hooks failed`, ExitCode.UNAVAILABLE)
  const dir = path.resolve(root, gitPath)
  const hooksPath = await gitOutput(root, ['config', '--get', 'core.hooksPath'])
  const location: HooksLocation = {dir, root}
  if (hooksPath) {
    location.hooksPath = hooksPath
    const note = managerNote(dir, root)
    if (note) location.note = note
  }
  return location
}

function present(file: string): boolean {
  try {
    lstatSync(file)
    return true
  } catch {
    return false
  }
}

function readHook(file: string): string | undefined {
  try {
    return lstatSync(file).isFile() ? readFileSync(file, 'utf8') : undefined
  } catch {
    return undefined
  }
}

/** The state of one hook in `dir`. */
export function inspectHook(dir: string, name: HookName): HookReport {
  const file = path.join(dir, name)
  const chained = present(file + CHAINED_SUFFIX)
  if (!present(file)) return {name, state: 'missing', path: file, chained}
  const text = readHook(file)
  const version = text === undefined ? undefined : hookVersion(text)
  if (version === undefined) return {name, state: 'foreign', path: file, chained}
  return {name, state: 'installed', path: file, chained, version, outdated: version < HOOK_VERSION}
}

export function hookStatus(dir: string): HookReport[] {
  return HOOK_NAMES.map((name) => inspectHook(dir, name))
}

function writeHook(file: string, name: HookName): void {
  writeFileSync(file, hookScript(name))
  chmodSync(file, 0o755) // whatever the umask
}

/** Installs dbuild's hooks in `dir`, chaining foreign ones; running it again changes nothing. */
export function installHooks(dir: string): HookChange[] {
  mkdirSync(dir, {recursive: true})
  return HOOK_NAMES.map((name): HookChange => {
    const before = inspectHook(dir, name)
    const file = before.path
    let action: HookAction
    if (before.state === 'foreign') {
      if (before.chained) {
        throw new DbuildError(`${file}: a foreign hook replaced dbuild's while ${name}${CHAINED_SUFFIX} still holds an earlier one`, ExitCode.CANT_CREATE, [
          `Merge the two by hand (or delete one), then run dbuild hook install again.`,
        ])
      }
      renameSync(file, file + CHAINED_SUFFIX)
      writeHook(file, name)
      action = 'chained'
    } else if (before.state === 'missing') {
      writeHook(file, name)
      action = 'installed'
    } else if (readHook(file) !== hookScript(name) || (lstatSync(file).mode & 0o777) !== 0o755) {
      writeHook(file, name)
      action = 'updated'
    } else {
      action = 'unchanged'
    }
    return {...inspectHook(dir, name), action}
  })
}

/** Removes dbuild's hooks from `dir` and puts chained foreign hooks back byte for byte; foreign hooks stay. */
export function uninstallHooks(dir: string): HookChange[] {
  return HOOK_NAMES.map((name): HookChange => {
    const before = inspectHook(dir, name)
    const file = before.path
    let action: HookAction = 'unchanged'
    if (before.state === 'installed') {
      rmSync(file)
      action = 'removed'
    }
    if (before.chained && !present(file)) {
      renameSync(file + CHAINED_SUFFIX, file)
      action = 'restored'
    }
    return {...inspectHook(dir, name), action}
  })
}

/** Whether every dbuild hook is installed and current in the repository holding `cwd`. */
export function allInstalled(reports: HookReport[]): boolean {
  return reports.every((report) => report.state === 'installed' && !report.outdated)
}
