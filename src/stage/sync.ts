/**
 * Makes a stage directory equal to a list of source entries with canonical modes: copies what
 * differs (size, mtime or mode), removes what the source no longer has, and keeps mtimes.
 */
import {constants, mkdirSync, openSync, closeSync, readlinkSync, rmSync, symlinkSync, chmodSync, lutimesSync, utimesSync} from 'node:fs'
import {chmod, copyFile, utimes} from 'node:fs/promises'
import {DbuildError, ExitCode} from '../exit-codes.js'
import {type Entry, entryPath, walkTree} from './walk.js'

/** The mode BuildKit should see: 0755 for directories and owner-executable files, else 0644. */
export function canonicalMode(entry: Pick<Entry, 'kind' | 'mode'>): number {
  if (entry.kind === 'dir') return 0o755
  return entry.mode & 0o100 ? 0o755 : 0o644
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

export interface SyncOptions {
  /** How many file copies run at once. */
  concurrency?: number
  /** Progress: called with the number of paths written so far. */
  onProgress?: (written: number) => void
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

function isBelowAny(rel: string, dirs: Set<string>): boolean {
  for (let at = rel.lastIndexOf('/'); at > 0; at = rel.lastIndexOf('/', at - 1)) {
    if (dirs.has(rel.slice(0, at))) return true
  }
  return false
}

/** Creates `target` if needed and walks it. */
export function walkTarget(target: string): Entry[] {
  try {
    mkdirSync(target, {recursive: true, mode: 0o755})
  } catch (error) {
    throw writeError(target, error)
  }
  return walkTree(target)
}

/** Syncs `target` (whose entries are `targetEntries`) to the `source` entries walked from `sourceRoot`. */
export async function syncTree(sourceRoot: string, sources: Entry[], target: string, targetEntries: Entry[], options: SyncOptions = {}): Promise<SyncCounts> {
  const staged = new Map(targetEntries.map((entry) => [entry.rel, entry]))
  const wanted = new Map(sources.map((entry) => [entry.rel, entry]))
  let changed = 0
  let removed = 0
  /** Directories whose entries were added or removed, so their mtime needs setting again. */
  const touched = new Set<string>()

  // 1. remove what the source no longer has, or has as another kind
  const removedDirs = new Set<string>()
  for (const entry of staged.values()) {
    if (entry.rel === '') continue
    const want = wanted.get(entry.rel)
    if (want && want.kind === entry.kind) continue
    if (isBelowAny(entry.rel, removedDirs)) {
      removed++
      continue
    }
    try {
      rmSync(entryPath(target, entry.rel), {recursive: true, force: true})
    } catch (error) {
      throw writeError(entryPath(target, entry.rel), error)
    }
    if (entry.kind === 'dir') removedDirs.add(entry.rel)
    touched.add(parentRel(entry.rel))
    staged.delete(entry.rel)
    removed++
  }
  if (removedDirs.size > 0) for (const rel of staged.keys()) if (isBelowAny(rel, removedDirs)) staged.delete(rel)

  // 2. directories (pre-order, so parents first) and symlinks; collect the files to copy
  const copies: Entry[] = []
  let files = 0
  let bytes = 0
  for (const entry of sources) {
    const have = staged.get(entry.rel)
    if (have && entry.kind === 'file' && have.size === entry.size && sameTime(have.mtimeMs, entry.mtimeMs) && have.mode === canonicalMode(entry)) {
      files++ // the common case of a warm stage: nothing to do
      bytes += entry.size
      continue
    }
    const to = entryPath(target, entry.rel)
    try {
      if (entry.kind === 'dir') {
        if (!have) {
          mkdirSync(to, {mode: 0o755})
          touched.add(parentRel(entry.rel))
          changed++
        }
        if (!have || have.mode !== 0o755) {
          chmodSync(to, 0o755) // mkdir's mode passes through the umask and keeps a parent's setgid
          if (have) changed++
        }
      } else if (entry.kind === 'symlink') {
        files++
        if (have && readlinkSync(to) === entry.target) continue
        if (have) rmSync(to, {force: true})
        symlinkSync(entry.target as string, to)
        touched.add(parentRel(entry.rel))
        lutimesSync(to, entry.atimeMs / 1000, entry.mtimeMs / 1000)
        changed++
      } else if (entry.kind === 'file') {
        files++
        bytes += entry.size
        if (have && have.size === entry.size && sameTime(have.mtimeMs, entry.mtimeMs)) {
          if (have.mode !== canonicalMode(entry)) {
            chmodSync(to, canonicalMode(entry))
            changed++
          }
        } else {
          if (!have) touched.add(parentRel(entry.rel))
          copies.push(entry)
        }
      }
    } catch (error) {
      throw writeError(to, error)
    }
  }

  // 3. file contents, in parallel: copy (reflink where the file system can), canonical mode, mtime
  let written = 0
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

  // 4. directory mtimes last: creating and removing entries above changed them
  for (const entry of sources) {
    if (entry.kind !== 'dir') continue
    const have = staged.get(entry.rel)
    if (have && !touched.has(entry.rel) && sameTime(have.mtimeMs, entry.mtimeMs)) continue
    const to = entryPath(target, entry.rel)
    try {
      utimesSync(to, entry.atimeMs / 1000, entry.mtimeMs / 1000)
    } catch (error) {
      throw writeError(to, error)
    }
  }
  return {files, bytes, changed, removed}
}
