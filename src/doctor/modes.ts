/** A read-only look at the work tree's modes: what `dbuild normalize` would change. */
import {lstatSync, type Stats} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'

export interface ModeDrift {
  /** Tracked regular files looked at. */
  files: number
  /** Repo-relative paths (directories end in `/`) whose mode is not canonical, with the mode found. */
  wrong: Array<{path: string; mode: string; want: string}>
}

function modeOf(stats: Stats): number {
  return stats.mode & 0o7777
}

/**
 * Tracked files whose mode is not the canonical one from git's index (100755 → 0755, else 0644;
 * symlinks and submodules skipped) and directories holding them (the top included) that are not 0755.
 * Undefined outside a git work tree.
 */
export async function findModeDrift(root: string): Promise<ModeDrift | undefined> {
  const listing = await execa('git', ['ls-files', '-s', '-z'], {cwd: root, reject: false, stripFinalNewline: false})
  if (listing.exitCode !== 0) return undefined
  const wrong: ModeDrift['wrong'] = []
  const dirs = new Set<string>(['.'])
  const seen = new Set<string>()
  let files = 0
  for (const record of listing.stdout.split('\0')) {
    const tab = record.indexOf('\t') // "<mode> <object> <stage>\t<path>"
    if (tab === -1) continue
    const rel = record.slice(tab + 1)
    const indexMode = record.slice(0, record.indexOf(' '))
    if (indexMode === '120000' || indexMode === '160000' || seen.has(rel)) continue
    seen.add(rel)
    let stats: Stats
    try {
      stats = lstatSync(path.join(root, rel))
    } catch {
      continue // deleted or outside a sparse checkout
    }
    if (!stats.isFile()) continue
    files++
    const want = indexMode === '100755' ? 0o755 : 0o644
    if (modeOf(stats) !== want) wrong.push({path: rel, mode: modeOf(stats).toString(8), want: want.toString(8)})
    for (let dir = path.posix.dirname(rel); !dirs.has(dir); dir = path.posix.dirname(dir)) dirs.add(dir)
  }
  for (const dir of [...dirs].sort()) {
    const mode = modeOf(lstatSync(path.join(root, dir)))
    if (mode !== 0o755) wrong.push({path: dir === '.' ? './' : `${dir}/`, mode: mode.toString(8), want: '755'})
  }
  return {files, wrong}
}
