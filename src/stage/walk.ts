/**
 * The pruned walk: the paths BuildKit would send for a context, with their lstat data.
 *
 * Synchronous on purpose: a warm stage is tens of thousands of lstat calls on cached inodes, and
 * the promise round-trip per call costs more than the call itself.
 */
import {type Dirent, lstatSync, readdirSync, readlinkSync, type Stats} from 'node:fs'

import {DbuildError, ExitCode} from '../exit-codes.js'
import type {IgnoreMatcher, MatchInfo} from './ignore.js'

export type EntryKind = 'dir' | 'file' | 'special' | 'symlink'

export interface Entry {
  /** Slash path relative to the walked root; '' is the root itself. */
  rel: string
  kind: EntryKind
  /** Permission and special bits (mode & 0o7777). */
  mode: number
  size: number
  mtimeMs: number
  atimeMs: number
  /** Symlink target, read only for symlinks of the source walk. */
  target?: string
}

function kindOf(stats: Stats): EntryKind {
  if (stats.isFile()) return 'file'
  if (stats.isDirectory()) return 'dir'
  if (stats.isSymbolicLink()) return 'symlink'
  return 'special'
}

/** Whether readdir reported the type (some file systems report DT_UNKNOWN, which needs an lstat). */
function knownType(dirent: Dirent): boolean {
  return dirent.isFile() || dirent.isSymbolicLink() || dirent.isFIFO() || dirent.isSocket() || dirent.isBlockDevice() || dirent.isCharacterDevice()
}

function toEntry(rel: string, stats: Stats): Entry {
  return {rel, kind: kindOf(stats), mode: stats.mode & 0o7777, size: stats.size, mtimeMs: stats.mtimeMs, atimeMs: stats.atimeMs}
}

function readError(file: string, error: unknown): DbuildError {
  const code = (error as NodeJS.ErrnoException).code ?? String(error)
  return new DbuildError(`${file}: cannot read (${code})`, ExitCode.IO, [`Check the permissions of ${file}, or list it in .dockerignore.`])
}

export interface WalkOptions {
  /** Leave out what .dockerignore excludes, pruning excluded directories. */
  matcher?: IgnoreMatcher
  /** Read symlink targets (the source side needs them; the stage side reads them only when compared). */
  readLinks?: boolean
}

/** Entries of `root` in pre-order (a directory before its contents), the root first. */
export function walkTree(root: string, options: WalkOptions = {}): Entry[] {
  let rootStats: Stats
  try {
    rootStats = lstatSync(root)
  } catch (error) {
    throw readError(root, error)
  }
  const entries: Entry[] = [toEntry('', rootStats)]
  const matcher = options.matcher && !options.matcher.isEmpty ? options.matcher : undefined

  const visit = (dirAbs: string, dirRel: string, parentInfo: MatchInfo): void => {
    let dirents: Dirent[]
    try {
      dirents = readdirSync(dirAbs, {withFileTypes: true})
    } catch (error) {
      throw readError(dirAbs, error)
    }
    for (const dirent of dirents) {
      const {name} = dirent
      const rel = dirRel === '' ? name : `${dirRel}/${name}`
      const abs = `${dirAbs}/${name}`
      let info: MatchInfo
      let excluded = false
      if (matcher) ({excluded, info} = matcher.match(rel, parentInfo))
      // an excluded file is never looked at; an excluded directory only when an exception may reach into it
      if (excluded && !dirent.isDirectory() && knownType(dirent)) continue
      if (excluded && dirent.isDirectory() && !matcher?.mayIncludeBelow(rel)) continue
      let stats: Stats
      try {
        stats = lstatSync(abs)
      } catch (error) {
        throw readError(abs, error)
      }
      const entry = toEntry(rel, stats)
      if (entry.kind === 'dir') {
        if (excluded && !matcher?.mayIncludeBelow(rel)) continue
        const at = entries.length
        entries.push(entry)
        visit(abs, rel, info)
        // an excluded directory is sent only to hold an included path beneath it
        if (excluded && entries.length === at + 1) entries.pop()
        continue
      }
      if (excluded) continue
      if (entry.kind === 'symlink' && options.readLinks) {
        try {
          entry.target = readlinkSync(abs)
        } catch (error) {
          throw readError(abs, error)
        }
      }
      entries.push(entry)
    }
  }

  if (rootStats.isDirectory()) visit(root, '', undefined)
  return entries
}

/** Absolute path of an entry under `root` (plain concatenation: this runs once per path per sync). */
export function entryPath(root: string, rel: string): string {
  return rel === '' ? root : `${root}/${rel}`
}

