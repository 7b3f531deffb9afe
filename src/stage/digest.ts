/**
 * The context digest: one sha256 over exactly what BuildKit is sent, so two machines can tell in one
 * string whether they send the same context. Every path (the root left out: a stage root is always a
 * 0755 directory) gives one JSON line, its manifest line, and the digest is the sha256 of those lines,
 * each ending in `\n`, in code-unit order of their paths. A line holds the path, type, canonical
 * mode, size and content sha256 of a file, the mode of a directory, the target of a symlink: nothing
 * that depends on the machine (owner, umask, mtime, checkout time), everything a COPY checksum reads.
 *
 * Content hashes are kept between stages in a small file beside the stage, keyed by the source's
 * size and mtime as the stage record's stat check is, so a warm stage reads only files that changed.
 */
import {createHash} from 'node:crypto'
import {closeSync, openSync, readFileSync, readSync, renameSync, rmSync, writeFileSync} from 'node:fs'

import {compareCodeUnits} from '../compare.js'
import {fsPath} from './names.js'
import {canonicalMode} from './sync.js'
import {type Entry, entryPath, readError} from './walk.js'

export type DigestEntryType = 'dir' | 'fifo' | 'file' | 'symlink'

/** One path behind the digest, as the manifest writes it (key order is part of the format). */
export interface DigestEntry {
  path: string
  type: DigestEntryType
  /** Octal, four digits: 0644, 0755 (files, FIFOs and directories only). */
  mode?: string
  /** Bytes (files only). */
  size?: number
  /** Content sha256, hex (files only). */
  sha256?: string
  /** Link target as stored (symlinks only). */
  target?: string
}

export interface ContextDigest {
  /** `sha256:<hex>` */
  digest: string
  /** In digest order. */
  entries: DigestEntry[]
  /** Files whose content was read this time (the rest came from the hash record). */
  hashed: number
}

/** Content hashes from the last digest: path → [size, mtimeMs, sha256]. */
export type HashRecord = Record<string, [size: number, mtimeMs: number, sha256: string]>

const HASHES_VERSION = 1

/** The manifest/digest line of one entry: JSON with a fixed key order. */
export function entryLine(entry: DigestEntry): string {
  return JSON.stringify(entry)
}

/** The digest of entries already in code-unit order of their paths. */
export function digestOfEntries(entries: readonly DigestEntry[]): string {
  const hash = createHash('sha256')
  // batched: one update per line costs more than the hashing itself for 20,000 short lines
  let batch = ''
  for (const entry of entries) {
    batch += `${entryLine(entry)}\n`
    if (batch.length > 1 << 16) {
      hash.update(batch)
      batch = ''
    }
  }
  hash.update(batch)
  return `sha256:${hash.digest('hex')}`
}

const READ_BUFFER = Buffer.allocUnsafe(1 << 20)
const EMPTY_SHA256 = createHash('sha256').digest('hex')

/**
 * sha256 of one file through one reused buffer (no allocation per file, as for sha256sum), or
 * undefined when the file is gone (ENOENT, or ENOTDIR for a parent replaced by a file).
 */
function hashIfPresent(file: string): string | undefined {
  const hash = createHash('sha256')
  let fd: number
  try {
    fd = openSync(fsPath(file), 'r')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined
    throw readError(file, error)
  }
  try {
    for (;;) {
      const read = readSync(fd, READ_BUFFER, 0, READ_BUFFER.length, null)
      if (read > 0) hash.update(READ_BUFFER.subarray(0, read))
      // a short read of a regular file is its end: one read(2) fewer per small file than reading to 0
      if (read < READ_BUFFER.length) break
    }
  } catch (error) {
    throw readError(file, error)
  } finally {
    closeSync(fd)
  }
  return hash.digest('hex')
}

function octal(mode: number): string {
  return mode.toString(8).padStart(4, '0')
}

/**
 * The digest of walked entries (pre-order, root first, special files already left out) whose
 * content is read under `root`. `previous` vouches for a file whose size and mtime it lists; `next`,
 * when given, receives the hashes of this digest for the next one. Modes are the canonical ones a
 * stage sends, or with `asIs` the entries' own (a context sent unstaged, setuid bits and all).
 */
export function digestEntries(root: string, entries: readonly Entry[], previous: HashRecord = {}, next?: HashRecord, asIs = false): ContextDigest {
  const modeOf = (entry: Entry): string => octal(asIs ? entry.mode : canonicalMode(entry))
  const sorted = entries.filter((entry) => entry.rel !== '' && entry.kind !== 'special')
  sorted.sort((a, b) => compareCodeUnits(a.rel, b.rel))
  const out: DigestEntry[] = []
  let hashed = 0
  for (const entry of sorted) {
    if (entry.kind === 'dir') out.push({path: entry.rel, type: 'dir', mode: modeOf(entry)})
    else if (entry.kind === 'symlink') out.push({path: entry.rel, type: 'symlink', target: entry.target ?? ''})
    // BuildKit sends a FIFO as a FIFO (never read: opening it would block) and a socket as an empty file
    else if (entry.kind === 'fifo') out.push({path: entry.rel, type: 'fifo', mode: modeOf(entry)})
    else if (entry.kind === 'socket') out.push({path: entry.rel, type: 'file', mode: modeOf(entry), size: 0, sha256: EMPTY_SHA256})
    else {
      const known = previous[entry.rel]
      let sha256: string
      if (known && known[0] === entry.size && known[1] === entry.mtimeMs) sha256 = known[2]
      else {
        const hashedNow = hashIfPresent(entryPath(root, entry.rel))
        // gone since the walk: BuildKit, walking now, would not send it either (as the sync treats it)
        if (hashedNow === undefined) continue
        sha256 = hashedNow
        hashed++
      }
      if (next) next[entry.rel] = [entry.size, entry.mtimeMs, sha256]
      out.push({path: entry.rel, type: 'file', mode: modeOf(entry), size: entry.size, sha256})
    }
  }
  return {digest: digestOfEntries(out), entries: out, hashed}
}

interface SavedHashes {
  version: number
  context: string
  hashes: HashRecord
}

/** The hash record saved for `context` in `file`; empty when there is none or it is for another context. */
export function readHashRecord(file: string, context: string): HashRecord {
  try {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as SavedHashes
    return saved.version === HASHES_VERSION && saved.context === context ? saved.hashes : {}
  } catch {
    return {} // none yet, or unreadable: hash every file
  }
}

/** Saves a hash record through a rename; losing it only costs the next digest a full read. */
export function writeHashRecord(file: string, context: string, hashes: HashRecord): void {
  writeSaved(file, {version: HASHES_VERSION, context, hashes} satisfies SavedHashes)
}

function writeSaved(file: string, value: object): void {
  const temp = `${file}.${process.pid}.tmp`
  try {
    writeFileSync(temp, JSON.stringify(value))
    renameSync(temp, file)
  } catch {
    rmSync(temp, {force: true})
  }
}

/**
 * What the walk saw of every entry (path, kind, mode, size, mtime, link target), in walk order: equal
 * fingerprints mean equal digests, so a warm stage reuses the last digest without sorting, building
 * or hashing 20,000 lines, and without reading the hash record at all.
 */
function fingerprint(entries: readonly Entry[], asIs: boolean): string {
  const hash = createHash('sha256').update(asIs ? 'as-is\n' : 'canonical\n')
  let batch = ''
  for (const entry of entries) {
    if (entry.kind === 'special') continue
    batch += `${entry.rel}\0${entry.kind}\0${entry.mode}\0${entry.size}\0${entry.mtimeMs}\0${entry.target ?? ''}\n`
    if (batch.length > 1 << 16) {
      hash.update(batch)
      batch = ''
    }
  }
  return hash.update(batch).digest('hex')
}

interface SavedSummary {
  version: number
  context: string
  fingerprint: string
  digest: string
}

function readSummary(file: string, context: string): SavedSummary | undefined {
  try {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as SavedSummary
    return saved.version === HASHES_VERSION && saved.context === context ? saved : undefined
  } catch {
    return undefined
  }
}

/**
 * digestEntries with the hash record kept in `file` (and the last digest with the fingerprint of
 * its entries in `file.digest`): content is read only for files whose size or mtime changed, and
 * when nothing changed at all the last digest is reused and the entries behind it are built only if
 * someone asks for them (a manifest).
 */
export function digestWithRecord(root: string, entries: readonly Entry[], file: string, context: string, asIs = false): ContextDigest {
  const summaryFile = `${file}.digest`
  const print = fingerprint(entries, asIs)
  const summary = readSummary(summaryFile, context)
  if (summary?.fingerprint === print) {
    let built: DigestEntry[] | undefined
    return {
      digest: summary.digest,
      hashed: 0,
      get entries() {
        built ??= digestEntries(root, entries, readHashRecord(file, context), undefined, asIs).entries
        return built
      },
    }
  }
  const previous = readHashRecord(file, context)
  const next: HashRecord = {}
  const result = digestEntries(root, entries, previous, next, asIs)
  if (result.hashed > 0 || Object.keys(previous).length !== Object.keys(next).length) writeHashRecord(file, context, next)
  writeSaved(summaryFile, {version: HASHES_VERSION, context, fingerprint: print, digest: result.digest} satisfies SavedSummary)
  return result
}
