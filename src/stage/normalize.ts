/**
 * Canonical modes in place, taken from git's index: what `setup` runs, and what covers the commands
 * after which no git hook runs (reset --hard, stash pop/apply, cherry-pick), so that even a plain
 * `docker build` of the work tree gets the same checksums everywhere.
 */
import {chmodSync, existsSync, lstatSync, type Stats} from 'node:fs'
import path from 'node:path'

import {DbuildError, ExitCode} from '../exit-codes.js'
import {isRegularEntry, readIndex, refreshIndex} from '../git.js'
import {CANONICAL_MODES, hasMode, modeFromIndex} from '../mode-policy.js'
import {fsPath} from './names.js'

function selectedBy(paths: string[] | undefined): (rel: string) => boolean {
  if (paths === undefined) return () => true
  const wanted = paths.map((p) => p.split(path.sep).join('/').replace(/^\.\//, '').replace(/\/+$/, ''))
  const exact = new Set(wanted)
  return (rel) => exact.has(rel) || wanted.some((p) => p === '' || p === '.' || rel.startsWith(`${p}/`))
}

function setMode(file: string, stats: Stats, mode: number): boolean {
  if (hasMode(stats.mode, mode)) return false
  try {
    chmodSync(fsPath(file), mode)
  } catch (error) {
    throw new DbuildError(`${file}: cannot change its mode (${(error as NodeJS.ErrnoException).code})`, ExitCode.CANT_CREATE)
  }
  return true
}

/**
 * Sets tracked files (100755 → 0755, other regular files → 0644; symlinks and submodules untouched)
 * and their parent directories up to `root` (0755) in place. `paths` (repo-relative) limits it.
 * When anything changed, git's index is refreshed: chmod changes ctime, and a stale index makes the
 * next `git reset --hard` rewrite every such file under the umask.
 */
export async function normalizeWorkTree(root: string, options: {paths?: string[]} = {}): Promise<{files: number; changed: number}> {
  if (!existsSync(root)) throw new DbuildError(`${root}: no such directory`, ExitCode.NO_INPUT)
  let gitSaid = ''
  const entries = await readIndex(root, (message) => (gitSaid = message))
  if (entries === undefined) {
    throw new DbuildError(`${root}: not a git work tree (${gitSaid})`, ExitCode.INPUT, [
      "dbuild normalize takes its modes from git's index; run it inside a git checkout.",
    ])
  }
  const selected = selectedBy(options.paths)
  const dirs = new Set<string>()
  let files = 0
  let changed = 0
  for (const entry of entries) {
    if (!isRegularEntry(entry) || !selected(entry.rel)) continue
    const file = path.join(root, entry.rel)
    let stats: Stats
    try {
      stats = lstatSync(fsPath(file))
    } catch {
      continue // deleted in the work tree
    }
    if (!stats.isFile()) continue // replaced by a link or directory in the work tree: not ours to change
    files++
    if (setMode(file, stats, modeFromIndex(entry.mode))) changed++
    for (let dir = path.posix.dirname(entry.rel); !dirs.has(dir); dir = path.posix.dirname(dir)) {
      dirs.add(dir)
      if (dir === '.') break
    }
  }
  for (const dir of dirs) {
    const abs = path.join(root, dir)
    if (setMode(abs, lstatSync(fsPath(abs)), CANONICAL_MODES.dir)) changed++
  }
  if (changed > 0) await refreshIndex(root)
  return {files, changed}
}
