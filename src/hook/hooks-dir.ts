/**
 * dbuild's hook files in git's hooks directory (a plain repository): a foreign hook is moved aside to
 * `<hook>.dbuild-chained` (rename keeps its bytes and mode) and run by dbuild's hook; uninstall moves it
 * back. A hook a tool put back byte for byte as the chained copy counts as already chained.
 */
import path from 'node:path'

import {DbuildError, ExitCode} from '../exit-codes.js'
import {moveFile, present, readText, removeFile, writeText} from './files.js'
import {CHAINED_SUFFIX, HOOK_MARKER, type HookName, currentFingerprint, hookScript, hookVersion} from './scripts.js'
import type {HookAction, HookReport, Manager} from './types.js'

/** The tool a hook file's text comes from. */
export function toolOf(text: string | undefined): string {
  if (text === undefined) return 'another tool'
  if (/call_lefthook|\blefthook\b/.test(text)) return 'lefthook'
  if (/\/h"\s*$|husky/.test(text)) return 'husky'
  if (/pre-commit\.com|pre_commit/.test(text)) return 'pre-commit'
  return 'another tool'
}

/** Whether a file in the hooks directory is one of dbuild's hook files. */
export function isDbuildHook(text: string | undefined): boolean {
  return text !== undefined && new RegExp(`^${HOOK_MARKER} \\S+ `, 'm').test(text) && !text.includes('# >>> dbuild-hook')
}

/** The state of dbuild's hook file for `name` in the hooks directory `dir`. */
export function inspectHook(dir: string, name: HookName): HookReport {
  const file = path.join(dir, name)
  const chained = present(file + CHAINED_SUFFIX)
  const base = {name, path: file, via: {kind: 'hooks-dir'} as Manager, chained}
  const text = readText(file)
  const movedAside = isDbuildHook(readText(file + '.old'))
  if (!present(file)) return {...base, state: movedAside ? 'displaced' : 'missing', ...(movedAside ? {displacedBy: 'another tool'} : {})}
  const version = text === undefined ? undefined : hookVersion(text)
  if (version === undefined || !isDbuildHook(text)) {
    // dbuild's hook was here: moved to .old (lefthook) or overwritten while its chained copy stayed (husky)
    if (movedAside || chained) return {...base, state: 'displaced', displacedBy: toolOf(text)}
    return {...base, state: 'foreign'}
  }
  return {...base, state: 'installed', version, outdated: version !== currentFingerprint(name)}
}

/** Installs dbuild's hook file for `name` in `dir`, chaining a foreign one. */
export function installHookFile(dir: string, name: HookName): HookAction {
  const before = inspectHook(dir, name)
  const file = before.path
  const chainedCopy = file + CHAINED_SUFFIX
  if (before.state === 'foreign' || before.state === 'displaced') {
    const text = readText(file)
    const old = file + '.old'
    if (isDbuildHook(readText(old))) removeFile(old) // dbuild's own hook, moved aside by a tool since gone
    if (before.chained) {
      // the hook now in place is the one dbuild chained (a tool wrote it again): already chained
      if (text !== readText(chainedCopy)) {
        throw new DbuildError(
          `${file}: a foreign hook replaced dbuild's while ${name}${CHAINED_SUFFIX} still holds a different one`,
          ExitCode.CANT_CREATE,
          [`Keep the one you want as ${file} and delete ${chainedCopy}, then run dbuild hook install again.`],
        )
      }
      writeText(file, hookScript(name), 0o755)
      return 'repaired'
    }
    if (text !== undefined || present(file)) moveFile(file, chainedCopy)
    writeText(file, hookScript(name), 0o755)
    return before.state === 'displaced' ? 'repaired' : 'chained'
  }
  if (before.state === 'missing') {
    writeText(file, hookScript(name), 0o755)
    return 'installed'
  }
  if (before.outdated || readText(file) !== hookScript(name)) {
    writeText(file, hookScript(name), 0o755)
    return 'updated'
  }
  return 'unchanged'
}

/** Removes dbuild's hook file for `name` from `dir` and puts a chained foreign hook back byte for byte. */
export function uninstallHookFile(dir: string, name: HookName): HookAction {
  const before = inspectHook(dir, name)
  const file = before.path
  let action: HookAction = 'unchanged'
  if (before.state === 'installed') {
    removeFile(file)
    action = 'removed'
  }
  const old = file + '.old'
  if (isDbuildHook(readText(old))) {
    removeFile(old)
    action = 'removed'
  }
  if (before.chained) {
    if (!present(file)) {
      moveFile(file + CHAINED_SUFFIX, file)
      action = 'restored'
    } else if (readText(file) === readText(file + CHAINED_SUFFIX)) {
      removeFile(file + CHAINED_SUFFIX) // the tool wrote the same hook again: the copy is redundant
      action = 'removed'
    }
  }
  return action
}
