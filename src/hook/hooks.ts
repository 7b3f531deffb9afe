/**
 * Install, uninstall and status: plain functions over the repository's hook setup.
 *
 * dbuild registers through the hook manager a repository already uses, rather than fighting it:
 *   - husky 9 (core.hooksPath=.husky/_): a guarded block in the committed `.husky/<hook>`; `.husky/_`
 *     is husky's and rewritten on every `npm install`, so dbuild never writes there;
 *   - lefthook: a script lefthook runs, added to `lefthook-local.yml` (or `lefthook.yml` with --shared);
 *     lefthook's own files in the hooks directory are never touched;
 *   - otherwise git's hooks directory: a foreign hook is moved aside to `<hook>.dbuild-chained` (rename
 *     keeps its bytes and mode) and run by dbuild's hook; uninstall moves it back.
 * Install repairs whatever an earlier install left behind when a manager came later (a hook displaced to
 * `.old` by lefthook, a `.dbuild-chained` copy of husky's stub), so it succeeds in every such state.
 */
import path from 'node:path'

import {DbuildError, ExitCode} from '../exit-codes.js'
import {gitOutput, gitRoot} from '../git.js'
import {atLeast, parseVersion} from '../version.js'
import {present} from './files.js'
import {inspectHook, installHookFile, uninstallHookFile} from './hooks-dir.js'
import {installManaged, lefthookConfig, managedStatus, uninstallManaged} from './managers.js'
import {HOOK_NAMES} from './scripts.js'
import type {HookChange, HookReport, HooksLocation, Manager} from './types.js'

export type * from './types.js'
export {inspectHook, toolOf} from './hooks-dir.js'

/** husky 9 points core.hooksPath at `<dir>/_` and runs `<dir>/<hook>` from there. */
function huskyDir(dir: string, root: string): string | undefined {
  const rel = path.relative(root, dir).split(path.sep).join('/')
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined
  return /(^|\/)\.husky\/_$/.test(rel) || (path.basename(dir) === '_' && present(path.join(dir, 'h'))) ? path.dirname(dir) : undefined
}

/** git 2.54 added hooks from config (hook.<name>.command / hook.<name>.event). */
export function gitRunsConfigHooks(version: string | undefined): boolean {
  const parsed = parseVersion(version)
  return parsed !== undefined && atLeast(parsed.parts, [2, 54, 0])
}

/** The hooks directory of the repository holding `cwd` and the manager in charge of it. */
export async function locateHooks(cwd: string): Promise<HooksLocation> {
  const root = await gitRoot(cwd)
  if (root === undefined) {
    throw new DbuildError(`${path.resolve(cwd)}: not a git work tree`, ExitCode.NO_INPUT, ['Run dbuild hook in a git checkout.'])
  }
  // core.hooksPath is relative to the work tree's top, where git runs hooks, so ask from there.
  const [gitPath, hooksPath, version] = await Promise.all([
    gitOutput(root, ['rev-parse', '--git-path', 'hooks']),
    gitOutput(root, ['config', '--get', 'core.hooksPath']),
    gitOutput(root, ['version']),
  ])
  if (gitPath === undefined) throw new DbuildError(`${root}: git rev-parse --git-path hooks failed`, ExitCode.UNAVAILABLE)
  const dir = path.resolve(root, gitPath)
  const husky = huskyDir(dir, root)
  const manager: Manager = husky ? {kind: 'husky', dir: husky} : (lefthookConfig(root, dir) ?? {kind: 'hooks-dir'})
  const location: HooksLocation = {dir, root, manager}
  if (hooksPath) location.hooksPath = hooksPath
  if (manager.kind === 'hooks-dir' && hooksPath && !path.relative(root, dir).startsWith('..')) {
    location.note = `core.hooksPath points into the work tree (${hooksPath}); if a tool regenerates that directory, run \`dbuild hook install\` after it.`
  }
  if (gitRunsConfigHooks(version)) {
    location.note = [
      location.note,
      `${version} runs hooks from config (hook.<name>.command and hook.<name>.event), the cleanest way to ` +
        `live beside other hooks; dbuild does not register that way yet.`,
    ]
      .filter(Boolean)
      .join('\n')
  }
  return location
}

/** Each hook's state, registered through the repository's hook manager. */
export function hookStatus(location: HooksLocation): HookReport[] {
  if (location.manager.kind === 'hooks-dir') return HOOK_NAMES.map((name) => inspectHook(location.dir, name))
  return managedStatus(location)
}

/** Installs dbuild's hooks through the repository's manager; running it again changes nothing. */
export function installHooks(location: HooksLocation, options: {shared?: boolean} = {}): HookChange[] {
  if (location.manager.kind !== 'hooks-dir') return installManaged(location, options)
  const actions = HOOK_NAMES.map((name) => installHookFile(location.dir, name))
  return hookStatus(location).map((report, i) => ({...report, action: actions[i] ?? 'unchanged'}))
}

/** Removes exactly what dbuild added; the manager's and foreign files stay byte for byte. */
export function uninstallHooks(location: HooksLocation): HookChange[] {
  if (location.manager.kind !== 'hooks-dir') return uninstallManaged(location)
  const actions = HOOK_NAMES.map((name) => uninstallHookFile(location.dir, name))
  return hookStatus(location).map((report, i) => ({...report, action: actions[i] ?? 'unchanged'}))
}

/** Whether every dbuild hook is installed and current. */
export function allInstalled(reports: HookReport[]): boolean {
  return reports.every((report) => report.state === 'installed' && !report.outdated)
}

/**
 * What git commands leave behind without a hook, and what covers each: shown by `hook status` and in
 * the README. A `dbuild build` stages the context with canonical modes whatever the work tree holds.
 */
export const COVERAGE: ReadonlyArray<{command: string; hook: string; covered: string}> = [
  {
    command: 'checkout/switch <branch>, clone, worktree add',
    hook: 'post-checkout',
    covered: 'the hook: the files that differ between the two commits',
  },
  {
    command: 'checkout <tree> -- <file>, checkout -- <file>',
    hook: 'post-checkout',
    covered: 'the hook: the files git refreshed in its index since the hook last ran',
  },
  {command: 'merge, pull', hook: 'post-merge', covered: 'the hook'},
  {command: 'rebase, pull --rebase', hook: 'post-rewrite', covered: 'the hook: the end-to-end diff and each replayed commit'},
  {
    command: 'reset --hard, stash pop/apply, cherry-pick, revert, restore',
    hook: 'none',
    covered: "not by a hook: run dbuild normalize (the next file checkout's hook also fixes them); dbuild build is unaffected",
  },
  {
    command: 'submodule update',
    hook: 'in the submodule',
    covered: "not by the superproject's hooks: git submodule foreach dbuild normalize, or dbuild hook install inside each",
  },
]
