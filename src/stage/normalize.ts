/**
 * Canonical modes in place, taken from git's index: what `setup` and the git hooks run so that
 * even a plain `docker build` of the work tree gets the same checksums everywhere.
 */
import {chmodSync, existsSync, lstatSync, type Stats} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'

import {DbuildError, ExitCode} from '../exit-codes.js'

interface IndexEntry {
  mode: string
  /** Relative to the directory git ran in, slash-separated. */
  rel: string
}

async function trackedEntries(root: string): Promise<IndexEntry[]> {
  const result = await execa('git', ['ls-files', '-s', '-z'], {cwd: root, reject: false, stripFinalNewline: false})
  if (result.exitCode !== 0) {
    throw new DbuildError(`${root}: not a git work tree (${result.stderr.trim().split('\n')[0] ?? 'git ls-files failed'})`, ExitCode.INPUT, [
      'dbuild normalize takes its modes from git\'s index; run it inside a git checkout.',
    ])
  }
  const entries: IndexEntry[] = []
  const seen = new Set<string>()
  for (const record of result.stdout.split('\0')) {
    // "<mode> <object> <stage>\t<path>"; a conflicted path has one record per stage
    const tab = record.indexOf('\t')
    if (tab === -1) continue
    const rel = record.slice(tab + 1)
    if (seen.has(rel)) continue
    seen.add(rel)
    entries.push({mode: record.slice(0, record.indexOf(' ')), rel})
  }
  return entries
}

function selectedBy(paths: string[] | undefined): (rel: string) => boolean {
  if (paths === undefined) return () => true
  const wanted = paths.map((p) => p.split(path.sep).join('/').replace(/^\.\//, '').replace(/\/+$/, ''))
  const exact = new Set(wanted)
  return (rel) => exact.has(rel) || wanted.some((p) => p === '' || p === '.' || rel.startsWith(`${p}/`))
}

function setMode(file: string, stats: Stats, mode: number): boolean {
  if ((stats.mode & 0o7777) === mode) return false
  chmodSync(file, mode)
  return true
}

/**
 * Sets tracked files (100755 → 0755, other regular files → 0644; symlinks and submodules untouched)
 * and their parent directories up to `root` (0755) in place. `paths` (repo-relative) limits it.
 */
export async function normalizeWorkTree(root: string, options: {paths?: string[]} = {}): Promise<{files: number; changed: number}> {
  if (!existsSync(root)) throw new DbuildError(`${root}: no such directory`, ExitCode.NO_INPUT)
  const selected = selectedBy(options.paths)
  const dirs = new Set<string>()
  let files = 0
  let changed = 0
  for (const entry of await trackedEntries(root)) {
    if (entry.mode === '120000' || entry.mode === '160000' || !selected(entry.rel)) continue
    const file = path.join(root, entry.rel)
    let stats: Stats
    try {
      stats = lstatSync(file)
    } catch {
      continue // deleted in the work tree
    }
    if (!stats.isFile()) continue // replaced by a link or directory in the work tree: not ours to change
    files++
    try {
      if (setMode(file, stats, entry.mode === '100755' ? 0o755 : 0o644)) changed++
    } catch (error) {
      throw new DbuildError(`${file}: cannot change its mode (${(error as NodeJS.ErrnoException).code})`, ExitCode.CANT_CREATE)
    }
    for (let dir = path.posix.dirname(entry.rel); !dirs.has(dir); dir = path.posix.dirname(dir)) {
      dirs.add(dir)
      if (dir === '.') break
    }
  }
  for (const dir of dirs) {
    const abs = path.join(root, dir)
    try {
      if (setMode(abs, lstatSync(abs), 0o755)) changed++
    } catch (error) {
      throw new DbuildError(`${abs}: cannot change its mode (${(error as NodeJS.ErrnoException).code})`, ExitCode.CANT_CREATE)
    }
  }
  return {files, changed}
}
