/**
 * Makes a stage directory equal to a list of source entries with canonical modes: copies what
 * differs, removes what the source no longer has, and keeps mtimes to the nanosecond, hard links
 * as hard links and holes as holes.
 */
import {spawnSync} from 'node:child_process'
import {
  chmodSync,
  closeSync,
  constants,
  existsSync,
  linkSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import {chmod, copyFile, rename, utimes} from 'node:fs/promises'
import {execa} from 'execa'

import {DbuildError, ExitCode} from '../exit-codes.js'
import {modeFromDisk} from '../mode-policy.js'
import {hasEscapedBytes} from '../surrogate-escape.js'
import {fsPath, readDirents, readLink, readNames} from './names.js'
import {PathRecord, PathRecordWriter} from './path-record.js'
import {type ExactTime, seconds, setExactTimes, utimesIsExact} from './times.js'
import {type Entry, entryPath, type Listing, type Listings, type LStats, lstatExact, readError, vanished} from './walk.js'
import {childDirectory} from '../working-dir.js'

/** The mode BuildKit should see, by the one policy's owner-execute rule (src/mode-policy.ts). */
export function canonicalMode(entry: Pick<Entry, 'kind' | 'mode'>): number {
  return modeFromDisk(entry.kind === 'dir', entry.mode)
}

export interface SyncCounts {
  files: number
  bytes: number
  changed: number
  removed: number
}

/**
 * What one complete sync wrote into the stage, by path (see PathRecord): fields
 * `f\t<size>\t<mtimeNs>\t<ctimeNs>\t<ino>\t<mode>` of a file (the source's stat as the copy
 * read it, the canonical mode), `l\t<target as JSON>` of a symlink. Compared as text: a line is
 * looked up, never parsed. As in git's index, ctime and inode catch what size and mtime miss: a
 * content change that sets the mtime back (`tar x`, `rsync -a`, `cp -p`, npm's 1985 mtimes).
 */
export type StagedRecord = PathRecord

/** The fields a staged record holds for a file or link that a sync staged from `entry`. */
function stagedFields(entry: Entry): string {
  return entry.kind === 'symlink'
    ? `l\t${JSON.stringify(entry.target ?? '')}`
    : `f\t${entry.size}\t${entry.mtimeNs}\t${entry.ctimeNs}\t${entry.ino}\t${canonicalMode(entry)}`
}

/**
 * A file whose stat may not tell its next change: its ctime is not older than `settledBefore`, a
 * time of the file system's clock taken before the walk. A change within the same coarse clock tick
 * keeps size, mtime, ctime and inode (git's "racily clean" entry), so such a file is left out of a
 * record and looked at again next time.
 */
export function isRacy(entry: Pick<Entry, 'ctimeNs'>, settledBefore: bigint | undefined): boolean {
  return settledBefore === undefined || entry.ctimeNs >= settledBefore
}

/** The record of the source entries a complete sync leaves in the stage, handed to `sink` in chunks as it is made. */
export function writeRecord(sources: readonly Entry[], sink: (chunk: string) => void, settledBefore?: bigint): void {
  const record = new PathRecordWriter(sink)
  for (const entry of sources) {
    if (entry.kind === 'symlink' || (entry.kind === 'file' && !isRacy(entry, settledBefore))) record.add(entry.rel, stagedFields(entry))
  }
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
   * The record of the last complete sync into this stage. A staged file whose size and mtime are the
   * source's is taken as up to date only when the record lists the source's stat as it is now; one
   * the record does not list is compared by content.
   */
  record?: StagedRecord
  /**
   * For a stage only dbuild writes: a file or link the record lists as the source has it now is
   * taken as staged without an lstat, while the listing of its stage directory is remembered
   * (nothing added, removed or renamed there since).
   */
  vouch?: boolean
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

/**
 * The stage cannot be written (a full, read-only or unwritable cache): what a build falls back from,
 * sending the context as it is, since plain buildx needs no stage. A context that cannot be read
 * is a readError instead: plain buildx fails on it too.
 */
export class StageUnwritable extends DbuildError {
  constructor(message: string) {
    super(message, ExitCode.CANT_CREATE, [
      'Free space in the cache directory or make it writable, or set DBUILD_CACHE_DIR to a writable directory.',
    ])
  }
}

export function writeError(file: string, error: unknown): StageUnwritable {
  const code = (error as NodeJS.ErrnoException).code ?? String(error)
  const failure = new StageUnwritable(`${file}: cannot write the stage (${code})`)
  failure.cause = error
  return failure
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
function removeStaged(abs: string, kind: LStats | undefined, beforeWrite: () => void): number {
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

/** Bytes a file's holes must add up to before it is copied as a sparse file: below that, a plain copy costs less than a cp. */
const SPARSE_MIN_HOLE = 1 << 20

/** Fewer blocks than its size needs: holes worth keeping (a 2 GB sparse file must not become 2 GB of zeros). */
function isSparse(entry: Entry): boolean {
  return entry.size - entry.blocks * 512 >= SPARSE_MIN_HOLE
}

/**
 * Copies `from` to `at`: a clone where the file system can (it keeps holes too), else the bytes; a
 * sparse file through coreutils' cp, which seeks over its holes (SEEK_DATA/SEEK_HOLE) and leaves
 * them holes, as Node's copyFile does not.
 */
async function copyContent(from: string, at: string, sparse: boolean): Promise<void> {
  if (sparse && !hasEscapedBytes(from) && !hasEscapedBytes(at)) {
    const copied = await execa('cp', ['--sparse=always', '--', from, at], {cwd: childDirectory(), reject: false, stdin: 'ignore'})
    if (copied.exitCode === 0) return
    rmSync(at, {force: true}) // no cp, or it failed: the plain copy below says why, if it fails too
  }
  await copyFile(fsPath(from), fsPath(at), constants.COPYFILE_FICLONE)
}

const COMPARE_BUFFERS = [Buffer.allocUnsafe(1 << 16), Buffer.allocUnsafe(1 << 16)] as const

/** Whether two files hold the same bytes (for a staged file no record vouches for); false when either cannot be read. */
function sameContent(a: string, b: string): boolean {
  let fdA: number | undefined
  let fdB: number | undefined
  try {
    fdA = openSync(fsPath(a), 'r')
    fdB = openSync(fsPath(b), 'r')
    const [bufA, bufB] = COMPARE_BUFFERS
    for (;;) {
      const readA = readSync(fdA, bufA, 0, bufA.length, null)
      let readB = 0
      while (readB < readA) {
        const more = readSync(fdB, bufB, readB, readA - readB, null)
        if (more === 0) return false
        readB += more
      }
      if (readA === 0) return readSync(fdB, bufB, 0, 1, null) === 0
      if (bufA.compare(bufB, 0, readB, 0, readA) !== 0) return false
    }
  } catch {
    return false
  } finally {
    if (fdA !== undefined) closeSync(fdA)
    if (fdB !== undefined) closeSync(fdB)
  }
}

/** Paths of one inode (a hard-link group) among the sent entries: each later path by the first path's name. */
function hardLinkLeaders(sources: readonly Entry[]): Map<string, string> {
  const first = new Map<string, string>()
  const leaderOf = new Map<string, string>()
  for (const entry of sources) {
    if (entry.kind !== 'file' || entry.nlink < 2) continue
    const key = `${entry.dev}:${entry.ino}`
    const leader = first.get(key)
    if (leader === undefined) first.set(key, entry.rel)
    else leaderOf.set(entry.rel, leader)
  }
  return leaderOf
}

/** The time to set on a written path when utimes cannot land on it exactly (see times.ts). */
function exactTime(at: string, entry: Entry): ExactTime | undefined {
  return utimesIsExact(entry.mtimeNs)
    ? undefined
    : {path: at, atimeNs: entry.atimeNs, mtimeNs: entry.mtimeNs, link: entry.kind === 'symlink'}
}

/**
 * Syncs the stage directory `target` to the `source` entries (pre-order, the root first) walked from
 * `sourceRoot`. The stage is never walked as a whole: each wanted path is lstat-ed directly, once its
 * parent is known to be a real directory, and each staged directory is listed to find what the source
 * no longer has.
 *
 * Paths of one inode in the source (hard links, the ones .dockerignore leaves in) are staged as hard
 * links of one staged file, as BuildKit sends them: the first path is copied, the others linked to it.
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
  const leaderOf = hardLinkLeaders(sources)
  /** Hard links to stage once their group's first path is staged. */
  const links: Entry[] = []
  /** Written paths whose times utimes cannot set exactly. */
  const exact: ExactTime[] = []
  /** Staged directories whose remembered listing was still true: the record vouches for their files and links. */
  const unchanged = new Set<string>()
  /** Directories created by this sync: their contents need no lstat. */
  const created = new Set<string>()
  /** Directories whose entries were added or removed, so their mtime needs setting again. */
  const touched = new Set<string>()
  /** mtimes of the staged directories that already existed. */
  const dirMtimes = new Map<string, bigint>()
  const copies: Entry[] = []

  /** A staged file with the source's size and mtime is up to date when the record lists the source's stat as it is, or, unrecorded, its bytes are equal. */
  const upToDate = (entry: Entry, to: string): boolean => {
    const recorded = record.fieldsOf(entry.rel)
    return recorded === undefined ? sameContent(entryPath(sourceRoot, entry.rel), to) : recorded === stagedFields(entry)
  }

  // 1. in pre-order, so a directory is checked (and repaired) before anything is looked up inside it:
  //    directories, symlinks, removals and re-modes; collect the files to copy and the links to make
  for (const entry of sources) {
    const {rel} = entry
    const parent = rel === '' ? '' : parentRel(rel)
    const to = entryPath(target, rel)
    if (entry.kind === 'file' || entry.kind === 'symlink') {
      files++
      if (entry.kind === 'file') bytes += entry.size
      // a path of a hard-link group is always looked at: the record knows nothing of the staged links
      if (options.vouch && entry.nlink < 2 && unchanged.has(parent) && recordMatches(record, entry)) continue
      unrecorded++
    }
    try {
      let have = rel !== '' && created.has(parent) ? undefined : lstatExact(fsPath(to))
      if (entry.kind === 'file') {
        if (leaderOf.has(rel)) {
          if (have && !have.isFile()) {
            removed += removeStaged(to, have, beforeWrite)
            touched.add(parent)
          }
          links.push(entry)
          continue
        }
        if (have?.isFile() && Number(have.size) === entry.size && have.mtimeNs === entry.mtimeNs && upToDate(entry, to)) {
          // the common case of a warm stage: at most a mode to fix (a chmod is atomic for a reader)
          if ((Number(have.mode) & 0o7777) !== canonicalMode(entry)) {
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
        if ((Number(have.mode) & 0o7777) !== 0o755) {
          beforeWrite()
          chmodSync(fsPath(to), 0o755)
          changed++
        }
        dirMtimes.set(rel, have.mtimeNs)
        const prefix = rel === '' ? '' : `${rel}/`
        const listing: Pick<Listing, 'names' | 'remembered'> = options.listings?.list(to, rel, have) ?? {names: readNames(to)}
        if (listing.remembered) unchanged.add(rel)
        for (const name of listing.names) {
          if (wanted.has(prefix + name)) continue
          const extra = `${to}/${name}`
          removed += removeStaged(extra, lstatExact(fsPath(extra)), beforeWrite)
          touched.add(rel)
        }
      } else if (entry.kind === 'fifo' || entry.kind === 'socket') {
        // BuildKit sends a FIFO as one and a socket as an empty file, each with its mode
        const staged = entry.kind === 'fifo' ? have?.isFIFO() : have?.isFile() && have.size === 0n
        if (staged && have) {
          if ((Number(have.mode) & 0o7777) !== canonicalMode(entry)) {
            beforeWrite()
            chmodSync(fsPath(to), canonicalMode(entry))
            changed++
          }
          if (have.mtimeNs !== entry.mtimeNs) {
            beforeWrite()
            utimesSync(fsPath(to), seconds(entry.atimeNs), seconds(entry.mtimeNs))
            const time = exactTime(to, entry)
            if (time) exact.push(time)
          }
          continue
        }
        if (have?.isDirectory()) {
          removed += removeStaged(to, have, beforeWrite)
          have = undefined
        } else if (have) removed++
        beforeWrite()
        touched.add(parent) // a rename into a directory sets its mtime, as a new entry does
        replacer.replaceSync(to, (at) => {
          if (entry.kind === 'fifo') makeFifo(at)
          else writeFileSync(fsPath(at), '')
          chmodSync(fsPath(at), canonicalMode(entry))
          utimesSync(fsPath(at), seconds(entry.atimeNs), seconds(entry.mtimeNs))
        })
        const time = exactTime(to, entry)
        if (time) exact.push(time)
        changed++
      } else if (entry.kind === 'symlink') {
        if (have?.isSymbolicLink()) {
          if (readLink(to) === entry.target) continue
        } else if (have?.isDirectory()) {
          removed += removeStaged(to, have, beforeWrite)
          have = undefined
        } else if (have) removed++ // a file the new link replaces
        beforeWrite()
        touched.add(parent)
        // a new link is renamed into place too: a link re-pointed in place would be missing for a moment
        replacer.replaceSync(to, (at) => {
          symlinkSync(fsPath(entry.target as string), fsPath(at))
          lutimesSync(fsPath(at), seconds(entry.atimeNs), seconds(entry.mtimeNs))
        })
        const time = exactTime(to, entry)
        if (time) exact.push(time)
        changed++
      }
    } catch (error) {
      throw error instanceof DbuildError ? error : writeError(to, error)
    }
  }

  /** Copies one file into place; false when it vanished from the context meanwhile (and is gone from the stage too). */
  const copy = async (entry: Entry): Promise<boolean> => {
    const from = entryPath(sourceRoot, entry.rel)
    const to = entryPath(target, entry.rel)
    // renamed over the staged file, or new: either way the directory's mtime moves and is set back after
    touched.add(parentRel(entry.rel))
    try {
      await replacer.replace(to, async (at) => {
        try {
          await copyContent(from, at, isSparse(entry))
        } catch (error) {
          throw vanished(error) && !existsSync(fsPath(from)) ? new Vanished() : copyError(from, to, error)
        }
        // copyFile gives the source's mode, setuid bits included
        if (entry.mode !== canonicalMode(entry)) await chmod(fsPath(at), canonicalMode(entry))
        await utimes(fsPath(at), seconds(entry.atimeNs), seconds(entry.mtimeNs))
      })
    } catch (error) {
      if (error instanceof Vanished) {
        // removed from the context since the walk: as if it had been removed before it
        gone.push(entry.rel)
        files--
        bytes -= entry.size
        if (lstatExact(fsPath(to))) removed += removeStaged(to, undefined, beforeWrite)
        return false
      }
      throw error instanceof DbuildError ? error : writeError(to, error)
    }
    const time = exactTime(to, entry)
    if (time) exact.push(time)
    return true
  }

  // 2. file contents, in parallel: copy (reflink where the file system can), canonical mode, mtime;
  //    each into the scratch directory first, then renamed over the staged one
  let written = 0
  if (copies.length > 0) beforeWrite()
  await runPool(copies, options.concurrency ?? 16, async (entry) => {
    if (!(await copy(entry))) return
    written++
    options.onProgress?.(changed + written, changed + copies.length)
  })
  changed += written

  // 3. hard links, now that the first path of each group is staged: linked to it unless they already are
  for (const entry of links) {
    const to = entryPath(target, entry.rel)
    const leader = entryPath(target, leaderOf.get(entry.rel) as string)
    const staged = lstatExact(fsPath(leader))
    if (!staged?.isFile()) {
      // the first path vanished from the context since the walk: this one is copied on its own
      if (await copy(entry)) changed++
      continue
    }
    const have = lstatExact(fsPath(to))
    if (have?.ino === staged.ino && have.dev === staged.dev) continue
    beforeWrite()
    touched.add(parentRel(entry.rel))
    try {
      replacer.replaceSync(to, (at) => linkSync(fsPath(leader), fsPath(at)))
    } catch (error) {
      throw writeError(to, error)
    }
    changed++
  }

  // 4. directory mtimes last: creating and removing entries above changed them
  for (const entry of sources) {
    if (entry.kind !== 'dir') continue
    const mtimeNs = dirMtimes.get(entry.rel)
    if (mtimeNs !== undefined && !touched.has(entry.rel) && mtimeNs === entry.mtimeNs) continue
    const to = entryPath(target, entry.rel)
    beforeWrite()
    try {
      utimesSync(fsPath(to), seconds(entry.atimeNs), seconds(entry.mtimeNs))
    } catch (error) {
      throw writeError(to, error)
    }
    const time = exactTime(to, entry)
    if (time) exact.push(time)
  }
  // 5. the nanoseconds utimes could not carry; setting a path's times changes no directory's mtime
  try {
    setExactTimes(exact)
  } catch (error) {
    throw new StageUnwritable((error as Error).message)
  }
  return {files, bytes, changed, removed, unrecorded, vanished: gone}
}

/** Node has no mkfifo; coreutils' does it (a FIFO in a context is rare). */
function makeFifo(at: string): void {
  const made = spawnSync('mkfifo', ['--', at], {stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8'})
  if (made.status !== 0) throw new StageUnwritable(`${at}: cannot create a FIFO (${made.error?.message ?? made.stderr.trim()})`)
}

/** A source file that was gone by the time it was copied. */
class Vanished extends Error {}
