/**
 * The pruned walk: the paths BuildKit would send for a context, with their lstat data.
 *
 * Synchronous on purpose: a warm stage is tens of thousands of lstat calls on cached inodes, and
 * the promise round-trip per call costs more than the call itself.
 */
import {type BigIntStats, type Dirent, lstatSync} from 'node:fs'

import {DbuildError, ExitCode} from '../exit-codes.js'
import type {IgnoreMatcher, MatchInfo} from './ignore.js'
import {fsPath, readDirents, readLink, readNames} from './names.js'

/**
 * What BuildKit sends a path as: a FIFO as a FIFO, a socket as an empty regular file (both with
 * their modes), a device as a device ('special': only root can make one in a stage).
 */
export type EntryKind = 'dir' | 'fifo' | 'file' | 'socket' | 'special' | 'symlink'

export interface Entry {
  /** Slash path relative to the walked root; '' is the root itself. */
  rel: string
  kind: EntryKind
  /** Permission and special bits (mode & 0o7777). */
  mode: number
  size: number
  /** mtime in ms, as a number: for keys that need no more than it (probe answers). */
  mtimeMs: number
  /** Times to the nanosecond: BuildKit sends them so, and a layer records the second they fall in. */
  mtimeNs: bigint
  atimeNs: bigint
  /**
   * What user space cannot set, as git's index keeps it: a write, chmod or rename in place changes
   * the ctime, a file replaced whole has another inode; size and mtime alone miss a change made by
   * `tar x`, `rsync -a`, `cp -p` or npm, which set the mtime back.
   */
  ctimeNs: bigint
  ino: bigint
  dev: bigint
  /** Links to the inode: above 1, paths of one inode are staged as hard links of one file (as BuildKit sends them). */
  nlink: number
  /** 512-byte blocks allocated: fewer than the size needs is a sparse file, staged with its holes. */
  blocks: number
  /** Symlink target, read only for symlinks of the source walk. */
  target?: string
}

/** Stats as the walk and the sync read them: to the nanosecond (see Entry). */
export type LStats = BigIntStats

/** lstat to the nanosecond; undefined when the path does not exist. */
export function lstatExact(file: string | Buffer): LStats | undefined {
  return lstatSync(file, {bigint: true, throwIfNoEntry: false})
}

function kindOf(stats: LStats): EntryKind {
  if (stats.isFile()) return 'file'
  if (stats.isDirectory()) return 'dir'
  if (stats.isSymbolicLink()) return 'symlink'
  if (stats.isFIFO()) return 'fifo'
  if (stats.isSocket()) return 'socket'
  return 'special'
}

/** One char per child: f(ile) d(irectory) l(ink) s(pecial), or u(nknown) where readdir cannot tell (DT_UNKNOWN). */
function typeChar(dirent: Dirent): string {
  if (dirent.isFile()) return 'f'
  if (dirent.isDirectory()) return 'd'
  if (dirent.isSymbolicLink()) return 'l'
  if (dirent.isFIFO() || dirent.isSocket() || dirent.isBlockDevice() || dirent.isCharacterDevice()) return 's'
  return 'u'
}

/** A directory's children: names and, where asked for, their types (see typeChar), one char each. */
export interface Listing {
  names: string[]
  types: string
  /** Taken from the previous stage: the directory provably gained, lost or renamed nothing since. */
  remembered?: boolean
}

/** A listing as remembered between stages: the directory's identity and times (decimal, nanoseconds), then the listing. */
export type SavedListing = [ino: string, ctimeNs: string, mtimeNs: string, names: string, types: string]
export type SavedListings = Record<string, SavedListing>

/**
 * Directory listings remembered from the previous stage, used instead of readdir while a directory
 * provably has not changed since. Adding, removing or renaming an entry sets the directory's ctime to
 * the current time and nothing can set it back, so same inode, ctime and mtime means same entries.
 * The clock behind ctime is coarse (a tick of up to 10 ms), so a change in the tick right after the
 * listing could keep the ctime: a listing is remembered only when its directory's ctime is older
 * than `probe`, a file written on the same file system (same clock) before any listing was read.
 */
export class Listings {
  /** Listings to remember for the next stage: those used, and those read that are settled. */
  readonly next: SavedListings = {}
  /** How many directories were actually read. */
  reads = 0

  constructor(
    private readonly previous: SavedListings,
    private readonly probe: {dev: bigint; mtimeNs: bigint},
    private readonly withTypes: boolean,
  ) {}

  /** The listing of `abs` (`rel` under the walked root), whose lstat is `stats`. */
  list(abs: string, rel: string, stats: LStats): Listing {
    const saved = this.previous[rel]
    if (saved && saved[0] === String(stats.ino) && saved[1] === String(stats.ctimeNs) && saved[2] === String(stats.mtimeNs)) {
      this.next[rel] = saved
      return {names: saved[3] === '' ? [] : saved[3].split('/'), types: saved[4], remembered: true}
    }
    const listing = readListing(abs, this.withTypes)
    this.reads++
    if (stats.dev === this.probe.dev && stats.ctimeNs < this.probe.mtimeNs) {
      this.next[rel] = [String(stats.ino), String(stats.ctimeNs), String(stats.mtimeNs), listing.names.join('/'), listing.types]
    }
    return listing
  }
}

function readListing(abs: string, withTypes: boolean): Listing {
  try {
    if (!withTypes) return {names: readNames(abs), types: ''}
    const {names, dirents} = readDirents(abs)
    let types = ''
    for (const dirent of dirents) types += typeChar(dirent)
    return {names, types}
  } catch (error) {
    throw readError(abs, error)
  }
}

/** A path that vanished between being listed and being read: BuildKit finishes such a race as if it had been removed first. */
export function vanished(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code
  return code === 'ENOENT' || code === 'ENOTDIR'
}

function toEntry(rel: string, stats: LStats): Entry {
  return {
    rel,
    kind: kindOf(stats),
    mode: Number(stats.mode) & 0o7777,
    size: Number(stats.size),
    mtimeMs: Number(stats.mtimeNs) / 1e6,
    mtimeNs: stats.mtimeNs,
    atimeNs: stats.atimeNs,
    ctimeNs: stats.ctimeNs,
    ino: stats.ino,
    dev: stats.dev,
    nlink: Number(stats.nlink),
    blocks: Number(stats.blocks),
  }
}

/** A context path that cannot be read: exit 74, with the two ways out. Walk, sync and digest alike. */
export function readError(file: string, error: unknown): DbuildError {
  const code = (error as NodeJS.ErrnoException).code ?? String(error)
  const failure = new DbuildError(`${file}: cannot read (${code})`, ExitCode.IO, [
    `Check the permissions of ${file}, or list it in .dockerignore.`,
  ])
  failure.cause = error
  return failure
}

export interface WalkOptions {
  /** Leave out what .dockerignore excludes, pruning excluded directories. */
  matcher?: IgnoreMatcher
  /** Read symlink targets (the source side needs them; the stage side reads them only when compared). */
  readLinks?: boolean
  /** Remembered listings of the walked root, with types (see Listings). */
  listings?: Listings
  /**
   * Relative paths left out with everything below them, whatever .dockerignore says: dbuild's own
   * cache directory when it lies inside the context (its stage would otherwise copy itself).
   */
  exclude?: ReadonlySet<string>
  /** Called for each path of `exclude` that exists and .dockerignore did not already leave out. */
  onExcluded?: (rel: string) => void
}

/** Entries of `root` in pre-order (a directory before its contents), the root first. */
export function walkTree(root: string, options: WalkOptions = {}): Entry[] {
  let rootStats: LStats
  try {
    rootStats = lstatSync(fsPath(root), {bigint: true})
  } catch (error) {
    throw readError(root, error)
  }
  const entries: Entry[] = [toEntry('', rootStats)]
  const matcher = options.matcher && !options.matcher.isEmpty ? options.matcher : undefined

  const exclude = options.exclude && options.exclude.size > 0 ? options.exclude : undefined

  /** The directory's listing; undefined when it vanished after its lstat. */
  const list = (dirAbs: string, dirRel: string, stats: LStats): Listing | undefined => {
    try {
      return options.listings?.list(dirAbs, dirRel, stats) ?? readListing(dirAbs, true)
    } catch (error) {
      if (error instanceof DbuildError && vanished(error.cause)) return undefined
      throw error
    }
  }

  /** Walks the directory's children; false when the directory itself vanished meanwhile. */
  const visit = (dirAbs: string, dirRel: string, dirStats: LStats, parentInfo: MatchInfo): boolean => {
    const listing = list(dirAbs, dirRel, dirStats)
    if (!listing) return false
    const {names, types} = listing
    for (let i = 0; i < names.length; i++) {
      const name = names[i] as string
      const type = types[i]
      const rel = dirRel === '' ? name : `${dirRel}/${name}`
      const abs = `${dirAbs}/${name}`
      let info: MatchInfo
      let excluded = false
      if (matcher) ({excluded, info} = matcher.match(rel, parentInfo))
      if (exclude?.has(rel)) {
        if (!excluded) options.onExcluded?.(rel)
        continue
      }
      if (excluded) {
        // an excluded file is never looked at; an excluded directory only when an exception may reach into it
        if (type !== 'd' && type !== 'u') continue
        if (!matcher?.mayIncludeBelow(rel)) continue
      }
      let stats: LStats
      try {
        stats = lstatSync(fsPath(abs), {bigint: true})
      } catch (error) {
        if (vanished(error)) continue
        throw readError(abs, error)
      }
      const entry = toEntry(rel, stats)
      if (entry.kind === 'dir') {
        const at = entries.length
        entries.push(entry)
        const present = visit(abs, rel, stats, info)
        // an excluded directory is sent only to hold an included path beneath it
        if (!present || (excluded && entries.length === at + 1)) entries.length = at
        continue
      }
      if (excluded) continue
      if (entry.kind === 'symlink' && options.readLinks) {
        try {
          entry.target = readLink(abs)
        } catch (error) {
          if (vanished(error) || (error as NodeJS.ErrnoException).code === 'EINVAL') continue
          throw readError(abs, error)
        }
      }
      entries.push(entry)
    }
    return true
  }

  if (rootStats.isDirectory()) visit(root, '', rootStats, undefined)
  return entries
}

/** Absolute path of an entry under `root` (plain concatenation: this runs once per path per sync). */
export function entryPath(root: string, rel: string): string {
  return rel === '' ? root : `${root}/${rel}`
}
