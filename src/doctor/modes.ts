/** A read-only look at the work tree's modes: what `dbuild normalize` would change. */
import {lstatSync, type Stats} from 'node:fs'
import path from 'node:path'

import {isRegularEntry, readIndex} from '../git.js'
import {CANONICAL_MODES, hasMode, modeFromIndex} from '../mode-policy.js'
import {fsPath} from '../stage/names.js'

export interface ModeDrift {
  /** Tracked regular files looked at. */
  files: number
  /** Repo-relative paths (directories end in `/`) whose mode is not canonical, with the mode found. */
  wrong: Array<{path: string; mode: string; want: string}>
}

const octal = (mode: number): string => (mode & 0o7777).toString(8)

/**
 * Tracked files whose mode is not the canonical one from git's index (src/mode-policy.ts; symlinks
 * and submodules skipped) and directories holding them (the top included) that are not canonical.
 * Undefined outside a git work tree.
 */
export async function findModeDrift(root: string): Promise<ModeDrift | undefined> {
  const entries = await readIndex(root)
  if (entries === undefined) return undefined
  const wrong: ModeDrift['wrong'] = []
  const dirs = new Set<string>(['.'])
  let files = 0
  for (const entry of entries) {
    if (!isRegularEntry(entry)) continue
    let stats: Stats
    try {
      stats = lstatSync(fsPath(path.join(root, entry.rel)))
    } catch {
      continue // deleted or outside a sparse checkout
    }
    if (!stats.isFile()) continue
    files++
    const want = modeFromIndex(entry.mode)
    if (!hasMode(stats.mode, want)) wrong.push({path: entry.rel, mode: octal(stats.mode), want: octal(want)})
    for (let dir = path.posix.dirname(entry.rel); !dirs.has(dir); dir = path.posix.dirname(dir)) dirs.add(dir)
  }
  for (const dir of [...dirs].sort()) {
    const mode = lstatSync(fsPath(path.join(root, dir))).mode
    if (!hasMode(mode, CANONICAL_MODES.dir))
      wrong.push({path: dir === '.' ? './' : `${dir}/`, mode: octal(mode), want: octal(CANONICAL_MODES.dir)})
  }
  return {files, wrong}
}
