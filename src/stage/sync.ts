/**
 * Makes a stage directory equal to a list of source entries with canonical modes: copies what
 * differs (size, mtime or mode), removes what the source no longer has, and keeps mtimes.
 */
import {spawnSync} from 'node:child_process'
import {type Stats, chmodSync, closeSync, constants, existsSync, lstatSync, lutimesSync, mkdirSync, openSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync} from 'node:fs'
import {chmod, copyFile, rename, utimes} from 'node:fs/promises'
import {DbuildError, ExitCode} from '../exit-codes.js'
import {modeFromDisk} from '../mode-policy.js'
import {fsPath, readDirents, readLink, readNames} from './names.js'
import {PathRecord, PathRecordWriter} from './path-record.js'
import {type Entry, entryPath, type Listing, type Listings, readError, vanished} from './walk.js'

/** The mode BuildKit should see, by the one policy's owner-execute rule (src/mode-policy.ts). */
export function canonicalMode(entry: Pick<Entry, 'kind' | 'mode'>): number {
  return modeFromDisk(entry.kind === 'dir', entry.mode)
}

/** mtimes survive a utimes round trip only to about a microsecond (seconds as a double). */
const MTIME_TOLERANCE_MS = 0.002

function sameTime(a: number, b: number): boolean {
  return Math.abs(a - b) <= MTIME_TOLERANCE_MS
}

export interface SyncCounts {
  files: number
  bytes: number
  changed: number
  removed: number
}

/**
 * What one complete sync wrote into the stage, by path (see PathRecord): fields
 * `f\t<size>\t<mtimeMs>\t<mode>` of a file (the source's size and mtime, the canonical mode),
 * `l\t<target as JSON>` of a symlink. Compared as text: a line is looked up, never parsed.
 */
export type StagedRecord = PathRecord

/** The fields a staged record holds for a file or link that a sync staged from `entry`. */
function stagedFields(entry: Entry): string {
  return entry.kind === 'symlink' ? `l\t${JSON.stringify(entry.target ?? '')}` : `f\t${entry.size}\t${entry.mtimeMs}\t${canonicalMode(entry)}`
}

/** The record of the source entries a complete sync leaves in the stage, handed to `sink` in chunks as it is made. */
export function writeRecord(sources: readonly Entry[], sink: (chunk: string) => void): void {
  const record = new PathRecordWriter(sink)
  for (const entry of sources) if (entry.kind === 'file' || entry.kind === 'symlink') record.add(entry.rel, stagedFields(entry))
  record.flush()
}

function recordMatches(record: StagedRecord, entry: Entry): boolean {
  return record.fieldsOf(entry.rel) === stagedFields(entry)
}

export interface SyncOptions {
  /** How many file copies run at once. */
  concurrency?: number
  /** Progress: called with the number of paths written so far. */
  /** Paths written so far, of the total this sync writes (known once the copies are listed). */
  onProgress?: (written: number, total: number) => void
  /** Remembered listings of the stage directory, names only (see Listings). */
  listings?: Listings
  /**
   * The record of the last complete sync into this stage, for a stage only dbuild writes. A file or
   * link it lists as the source has it now is taken as staged, without an lstat, while the listing
   * of its stage directory is remembered (nothing added, removed or renamed there since).
   */
  record?: StagedRecord
  /** Called once, before the first change to the stage (a record of it is no longer true from then on). */
  beforeWrite?: () => void
  /**
   * An empty directory outside the stage on its file system. A build may be reading the stage while
   * it is synced, so a file or link is never rewritten in place: it is written here whole and renamed
   * over the staged one, and a reader sees the old version or the new one, never part of either.
   */
  scratch?: string
}

export interface SyncResult extends SyncCounts {
  /** Files and links that had to be looked at because the record did not vouch for them. */
  unrecorded: number
  /** Files that vanished from the context between the walk and their copy; they are not in the stage. */
  vanished: string[]
}

function writeError(file: string, error: unknown): DbuildError {
  const code = (error as NodeJS.ErrnoException).code ?? String(error)
  return new DbuildError(`${file}: cannot write the stage (${code})`, ExitCode.CANT_CREATE)
}

/** A copy failed: blame the source when it cannot even be opened, else the stage. */
function copyError(source: string, target: string, error: unknown): DbuildError {
  try {
    closeSync(openSync(source, 'r'))
  } catch (readFailure) {
    return readError(source, readFailure)
  }
  return writeError(target, error)
}

async function runPool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  let failure: unknown
  const worker = async (): Promise<void> => {
    while (next < items.length && failure === undefined) {
      const item = items[next++] as T
      try {
        await fn(item)
      } catch (error) {
        failure ??= error
      }
    }
  }
  await Promise.all(Array.from({length: Math.min(limit, items.length)}, worker))
  if (failure !== undefined) throw failure
}

function parentRel(rel: string): string {
  const at = rel.lastIndexOf('/')
  return at === -1 ? '' : rel.slice(0, at)
}

/** How many paths `abs` holds, itself included (for the removed count; only when removing). */
function countPaths(abs: string): number {
  let count = 1
  try {
    const {names, dirents} = readDirents(abs)
    dirents.forEach((dirent, i) => (count += dirent.isDirectory() ? countPaths(`${abs}/${names[i]}`) : 1))
  } catch {
    // not a directory, or gone: itself only
  }
  return count
}

/** Removes a stage path of any kind and returns how many paths went with it. */
function removeStaged(abs: string, kind: Stats | undefined, beforeWrite: () => void): number {
  beforeWrite()
  const count = kind?.isDirectory() ? countPaths(abs) : 1
  try {
    rmSync(fsPath(abs), {recursive: true, force: true})
  } catch (error) {
    throw writeError(abs, error)
  }
  return count
}

/**
 * Puts a new version of a stage path in place whole (see SyncOptions.scratch): `make` writes it at
 * the path it is given, which is renamed over `to`. Without a scratch directory, or when it is on
 * another file system, `make` writes `to` itself after removing what was there.
 */
class Replacer {
  private next = 0

  constructor(private readonly scratch: string | undefined) {}

  async replace(to: string, make: (at: string) => Promise<void> | void): Promise<void> {
    if (this.scratch !== undefined) {
      const temp = `${this.scratch}/${this.next++}`
      try {
        await make(temp)
        await rename(temp, fsPath(to))
        return
      } catch (error) {
        rmSync(temp, {force: true})
        if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error
      }
    }
    rmSync(fsPath(to), {force: true})
    await make(to)
  }

  replaceSync(to: string, make: (at: string) => void): void {
    if (this.scratch !== undefined) {
      const temp = `${this.scratch}/${this.next++}`
      try {
        make(temp)
        renameSync(temp, fsPath(to))
        return
      } catch (error) {
        rmSync(temp, {force: true})
        if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error
      }
    }
    rmSync(fsPath(to), {force: true})
    make(to)
  }
}

/**
 * Syncs the stage directory `target` to the `source` entries (pre-order, the root first) walked from
 * `sourceRoot`. The stage is never walked as a whole: each wanted path is lstat-ed directly, once its
 * parent is known to be a real directory, and each staged directory is listed to find what the source
 * no longer has.
 */
export async function syncTree(sourceRoot: string, sources: Entry[], target: string, options: SyncOptions = {}): Promise<SyncResult> {
  let writing = false
  const beforeWrite = (): void => {
    if (writing) return
    writing = true
    options.beforeWrite?.()
  }
  if (!existsSync(fsPath(target))) {
    beforeWrite()
    try {
      mkdirSync(fsPath(target), {recursive: true, mode: 0o755})
    } catch (error) {
      throw writeError(target, error)
    }
  }
  const replacer = new Replacer(options.scratch)
  const wanted = new Set<string>()
  for (const entry of sources) wanted.add(entry.rel)
  let changed = 0
  let removed = 0
  let files = 0
  let bytes = 0
  let unrecorded = 0
  const gone: string[] = []
  const record = options.record ?? PathRecord.empty()
  /** Staged directories whose remembered listing was still true: the record vouches for their files and links. */
  const unchanged = new Set<string>()
  /** Directories created by this sync: their contents need no lstat. */
  const created = new Set<string>()
  /** Directories whose entries were added or removed, so their mtime needs setting again. */
  const touched = new Set<string>()
  /** mtimes of the staged directories that already existed. */
  const dirMtimes = new Map<string, number>()
  const copies: Entry[] = []

  // 1. in pre-order, so a directory is checked (and repaired) before anything is looked up inside it:
  //    directories, symlinks, removals and re-modes; collect the files to copy
  for (const entry of sources) {
    const {rel} = entry
    const parent = rel === '' ? '' : parentRel(rel)
    const to = entryPath(target, rel)
    if (entry.kind === 'file' || entry.kind === 'symlink') {
      files++
      if (entry.kind === 'file') bytes += entry.size
      if (unchanged.has(parent) && recordMatches(record, entry)) continue
      unrecorded++
    }
    try {
      let have = rel !== '' && created.has(parent) ? undefined : lstatSync(fsPath(to), {throwIfNoEntry: false})
      if (entry.kind === 'file') {
        if (have?.isFile() && have.size === entry.size && sameTime(have.mtimeMs, entry.mtimeMs)) {
          // the common case of a warm stage: at most a mode to fix (a chmod is atomic for a reader)
          if ((have.mode & 0o7777) !== canonicalMode(entry)) {
            beforeWrite()
            chmodSync(fsPath(to), canonicalMode(entry))
            changed++
          }
          continue
        }
        if (have && !have.isFile()) {
          removed += removeStaged(to, have, beforeWrite)
          have = undefined
        }
        if (!have) touched.add(parent)
        copies.push(entry)
      } else if (entry.kind === 'dir') {
        if (have && !have.isDirectory()) {
          removed += removeStaged(to, have, beforeWrite)
          touched.add(parent)
          have = undefined
        }
        if (!have) {
          beforeWrite()
          mkdirSync(fsPath(to), {mode: 0o755})
          chmodSync(fsPath(to), 0o755) // mkdir's mode passes through the umask and keeps a parent's setgid
          created.add(rel)
          touched.add(parent)
          changed++
          continue
        }
        if ((have.mode & 0o7777) !== 0o755) {
          beforeWrite()
          chmodSync(fsPath(to), 0o755)
          changed++
        }
        dirMtimes.set(rel, have.mtimeMs)
        const prefix = rel === '' ? '' : `${rel}/`
        const listing: Pick<Listing, 'names' | 'remembered'> = options.listings?.list(to, rel, have) ?? {names: readNames(to)}
        if (listing.remembered) unchanged.add(rel)
        for (const name of listing.names) {
          if (wanted.has(prefix + name)) continue
          const extra = `${to}/${name}`
          removed += removeStaged(extra, lstatSync(fsPath(extra), {throwIfNoEntry: false}), beforeWrite)
          touched.add(rel)
        }
      } else if (entry.kind === 'fifo' || entry.kind === 'socket') {
        // BuildKit sends a FIFO as one and a socket as an empty file, each with its mode
        const staged = entry.kind === 'fifo' ? have?.isFIFO() : have?.isFile() && have.size === 0
        if (staged && have) {
          if ((have.mode & 0o7777) !== canonicalMode(entry)) {
            beforeWrite()
            chmodSync(fsPath(to), canonicalMode(entry))
            changed++
          }
          if (!sameTime(have.mtimeMs, entry.mtimeMs)) utimesSync(fsPath(to), entry.atimeMs / 1000, entry.mtimeMs / 1000)
          continue
        }
        if (have?.isDirectory()) {
          removed += removeStaged(to, have, beforeWrite)
          have = undefined
        } else if (have) removed++
        beforeWrite()
        if (!have) touched.add(parent)
        replacer.replaceSync(to, (at) => {
          if (entry.kind === 'fifo') makeFifo(at)
          else writeFileSync(fsPath(at), '')
          chmodSync(fsPath(at), canonicalMode(entry))
          utimesSync(fsPath(at), entry.atimeMs / 1000, entry.mtimeMs / 1000)
        })
        changed++
      } else if (entry.kind === 'symlink') {
        if (have?.isSymbolicLink()) {
          if (readLink(to) === entry.target) continue
        } else if (have?.isDirectory()) {
          removed += removeStaged(to, have, beforeWrite)
          have = undefined
        } else if (have) removed++ // a file the new link replaces
        beforeWrite()
        if (!have) touched.add(parent)
        // a new link is renamed into place too: a link re-pointed in place would be missing for a moment
        replacer.replaceSync(to, (at) => {
          symlinkSync(fsPath(entry.target as string), fsPath(at))
          lutimesSync(fsPath(at), entry.atimeMs / 1000, entry.mtimeMs / 1000)
        })
        changed++
      }
    } catch (error) {
      throw error instanceof DbuildError ? error : writeError(to, error)
    }
  }

  // 2. file contents, in parallel: copy (reflink where the file system can), canonical mode, mtime;
  //    each into the scratch directory first, then renamed over the staged one
  let written = 0
  if (copies.length > 0) beforeWrite()
  await runPool(copies, options.concurrency ?? 16, async (entry) => {
    const from = entryPath(sourceRoot, entry.rel)
    const to = entryPath(target, entry.rel)
    try {
      await replacer.replace(to, async (at) => {
        try {
          await copyFile(fsPath(from), fsPath(at), constants.COPYFILE_FICLONE)
        } catch (error) {
          throw vanished(error) && !existsSync(fsPath(from)) ? new Vanished() : copyError(from, to, error)
        }
        // copyFile gives the source's mode, setuid bits included
        if (entry.mode !== canonicalMode(entry)) await chmod(fsPath(at), canonicalMode(entry))
        await utimes(fsPath(at), entry.atimeMs / 1000, entry.mtimeMs / 1000)
      })
    } catch (error) {
      if (error instanceof Vanished) {
        // removed from the context since the walk: as if it had been removed before it
        gone.push(entry.rel)
        files--
        bytes -= entry.size
        if (lstatSync(fsPath(to), {throwIfNoEntry: false})) removed += removeStaged(to, undefined, beforeWrite)
        return
      }
      throw error instanceof DbuildError ? error : writeError(to, error)
    }
    written++
    options.onProgress?.(changed + written, changed + copies.length)
  })
  changed += written

  // 3. directory mtimes last: creating and removing entries above changed them
  for (const entry of sources) {
    if (entry.kind !== 'dir') continue
    const mtimeMs = dirMtimes.get(entry.rel)
    if (mtimeMs !== undefined && !touched.has(entry.rel) && sameTime(mtimeMs, entry.mtimeMs)) continue
    const to = entryPath(target, entry.rel)
    beforeWrite()
    try {
      utimesSync(fsPath(to), entry.atimeMs / 1000, entry.mtimeMs / 1000)
    } catch (error) {
      throw writeError(to, error)
    }
  }
  return {files, bytes, changed, removed, unrecorded, vanished: gone}
}

/** Node has no mkfifo; coreutils' does it (a FIFO in a context is rare). */
function makeFifo(at: string): void {
  const made = spawnSync('mkfifo', ['--', at], {stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8'})
  if (made.status !== 0) throw new DbuildError(`${at}: cannot create a FIFO (${made.error?.message ?? made.stderr.trim()})`, ExitCode.CANT_CREATE)
}

/** A source file that was gone by the time it was copied. */
class Vanished extends Error {}
