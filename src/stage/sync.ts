/**
 * Makes a stage directory equal to a list of source entries with canonical modes: copies what
 * differs (size, mtime or mode), removes what the source no longer has, and keeps mtimes.
 */
import {type Stats, chmodSync, closeSync, constants, existsSync, lstatSync, lutimesSync, mkdirSync, openSync, readdirSync, readlinkSync, rmSync, symlinkSync, utimesSync} from 'node:fs'
import {chmod, copyFile, utimes} from 'node:fs/promises'
import {DbuildError, ExitCode} from '../exit-codes.js'
import {modeFromDisk} from '../mode-policy.js'
import {type Entry, entryPath, type Listing, type Listings} from './walk.js'

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
 * What one complete sync wrote into the stage, by path: `[size, mtimeMs, mode]` of a file (the
 * source's size and mtime, the canonical mode), `[target]` of a symlink.
 */
export type StagedRecord = Record<string, [size: number, mtimeMs: number, mode: number] | [target: string]>

/** The record of the source entries a complete sync leaves in the stage. */
export function recordOf(sources: readonly Entry[]): StagedRecord {
  const record: StagedRecord = {}
  for (const entry of sources) {
    if (entry.kind === 'file') record[entry.rel] = [entry.size, entry.mtimeMs, canonicalMode(entry)]
    else if (entry.kind === 'symlink') record[entry.rel] = [entry.target as string]
  }
  return record
}

function recordMatches(recorded: StagedRecord[string] | undefined, entry: Entry): boolean {
  if (recorded === undefined) return false
  if (entry.kind === 'symlink') return recorded.length === 1 && recorded[0] === entry.target
  return recorded.length === 3 && recorded[0] === entry.size && recorded[1] === entry.mtimeMs && recorded[2] === canonicalMode(entry)
}

export interface SyncOptions {
  /** How many file copies run at once. */
  concurrency?: number
  /** Progress: called with the number of paths written so far. */
  onProgress?: (written: number) => void
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
}

export interface SyncResult extends SyncCounts {
  /** Files and links that had to be looked at because the record did not vouch for them. */
  unrecorded: number
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
    const code = (readFailure as NodeJS.ErrnoException).code ?? String(readFailure)
    return new DbuildError(`${source}: cannot read (${code})`, ExitCode.IO, [`Check the permissions of ${source}, or list it in .dockerignore.`])
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
    for (const dirent of readdirSync(abs, {withFileTypes: true})) count += dirent.isDirectory() ? countPaths(`${abs}/${dirent.name}`) : 1
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
    rmSync(abs, {recursive: true, force: true})
  } catch (error) {
    throw writeError(abs, error)
  }
  return count
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
  if (!existsSync(target)) {
    beforeWrite()
    try {
      mkdirSync(target, {recursive: true, mode: 0o755})
    } catch (error) {
      throw writeError(target, error)
    }
  }
  const wanted = new Set<string>()
  for (const entry of sources) wanted.add(entry.rel)
  let changed = 0
  let removed = 0
  let files = 0
  let bytes = 0
  let unrecorded = 0
  const record = options.record ?? {}
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
      if (unchanged.has(parent) && recordMatches(record[rel], entry)) continue
      unrecorded++
    }
    try {
      let have = rel !== '' && created.has(parent) ? undefined : lstatSync(to, {throwIfNoEntry: false})
      if (entry.kind === 'file') {
        if (have?.isFile() && have.size === entry.size && sameTime(have.mtimeMs, entry.mtimeMs)) {
          // the common case of a warm stage: at most a mode to fix
          if ((have.mode & 0o7777) !== canonicalMode(entry)) {
            beforeWrite()
            chmodSync(to, canonicalMode(entry))
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
          mkdirSync(to, {mode: 0o755})
          chmodSync(to, 0o755) // mkdir's mode passes through the umask and keeps a parent's setgid
          created.add(rel)
          touched.add(parent)
          changed++
          continue
        }
        if ((have.mode & 0o7777) !== 0o755) {
          beforeWrite()
          chmodSync(to, 0o755)
          changed++
        }
        dirMtimes.set(rel, have.mtimeMs)
        const prefix = rel === '' ? '' : `${rel}/`
        const listing: Pick<Listing, 'names' | 'remembered'> = options.listings?.list(to, rel, have) ?? {names: readdirSync(to)}
        if (listing.remembered) unchanged.add(rel)
        for (const name of listing.names) {
          if (wanted.has(prefix + name)) continue
          const extra = `${to}/${name}`
          removed += removeStaged(extra, lstatSync(extra, {throwIfNoEntry: false}), beforeWrite)
          touched.add(rel)
        }
      } else if (entry.kind === 'symlink') {
        if (have?.isSymbolicLink()) {
          if (readlinkSync(to) === entry.target) continue
          beforeWrite()
          rmSync(to) // a link to re-point, not a path the source lost
        } else if (have) removed += removeStaged(to, have, beforeWrite)
        beforeWrite()
        touched.add(parent)
        symlinkSync(entry.target as string, to)
        lutimesSync(to, entry.atimeMs / 1000, entry.mtimeMs / 1000)
        changed++
      }
    } catch (error) {
      throw error instanceof DbuildError ? error : writeError(to, error)
    }
  }

  // 2. file contents, in parallel: copy (reflink where the file system can), canonical mode, mtime
  let written = 0
  if (copies.length > 0) beforeWrite()
  await runPool(copies, options.concurrency ?? 16, async (entry) => {
    const from = entryPath(sourceRoot, entry.rel)
    const to = entryPath(target, entry.rel)
    try {
      await copyFile(from, to, constants.COPYFILE_FICLONE)
    } catch (error) {
      throw copyError(from, to, error)
    }
    try {
      // copyFile gives the source's mode, setuid bits included
      if (entry.mode !== canonicalMode(entry)) await chmod(to, canonicalMode(entry))
      await utimes(to, entry.atimeMs / 1000, entry.mtimeMs / 1000)
    } catch (error) {
      throw writeError(to, error)
    }
    written++
    options.onProgress?.(changed + written)
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
      utimesSync(to, entry.atimeMs / 1000, entry.mtimeMs / 1000)
    } catch (error) {
      throw writeError(to, error)
    }
  }
  return {files, bytes, changed, removed, unrecorded}
}
