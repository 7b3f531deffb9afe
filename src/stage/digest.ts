/**
 * The context digest: one sha256 over exactly what BuildKit is sent, so two machines can tell in one
 * string whether they send the same context. Every path (the root left out: a stage root is always a
 * 0755 directory) gives one JSON line, its manifest line, and the digest is the sha256 of those lines,
 * each ending in `\n`, in code-unit order of their paths. A line holds the path, type, canonical
 * mode, size and content sha256 of a file, the mode of a directory, the target of a symlink: nothing
 * that depends on the machine (owner, umask, mtime, checkout time), everything a COPY checksum reads.
 *
 * Content hashes are kept between stages in a small file beside the stage, keyed by the source's
 * size, mtime, ctime and inode as the stage record is (see StagedRecord), so a warm stage reads only
 * files that changed, and a change that sets the mtime back is read too.
 */
import {createHash} from 'node:crypto'
import {closeSync, openSync, readFileSync, readSync, rmSync} from 'node:fs'

import {compareCodeUnits} from '../compare.js'
import {AtomicFile, writeFileAtomic} from '../write-atomic.js'
import {fsPath} from './names.js'
import {parseRecordFile, PathRecord, PathRecordWriter} from './path-record.js'
import {canonicalMode, isRacy} from './sync.js'
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

/**
 * Content hashes from the last digest, by path: fields `<size>\t<mtimeNs>\t<ctimeNs>\t<ino>\t<sha256>`
 * (see PathRecord), in digest order.
 */
export type HashRecord = PathRecord

/**
 * 3: keyed by nanosecond times, ctime and inode too; 2 was a PathRecord after a header line keyed by
 * size and mtime (1 one JSON document). An older record is simply not read.
 */
const HASHES_VERSION = 3

/** The stat a hash is kept by (see HashRecord). */
function statKey(entry: Entry): string {
  return `${entry.size}\t${entry.mtimeNs}\t${entry.ctimeNs}\t${entry.ino}\t`
}

/** The content hash `record` holds for a file of the entry's stat, if any. */
function recordedHash(record: HashRecord, entry: Entry): string | undefined {
  const fields = record.fieldsOf(entry.rel)
  if (fields === undefined) return undefined
  const prefix = statKey(entry)
  return fields.length === prefix.length + 64 && fields.startsWith(prefix) ? fields.slice(prefix.length) : undefined
}

/** The manifest/digest line of one entry: JSON with a fixed key order. */
export function entryLine(entry: DigestEntry): string {
  return JSON.stringify(entry)
}

/**
 * sha256 of many short lines, fed in batches: one update per line costs more than the hashing
 * itself for 20,000 short lines.
 */
class BatchedHash {
  private readonly hash = createHash('sha256')
  private batch = ''

  add(text: string): void {
    this.batch += text
    if (this.batch.length > 1 << 16) {
      this.hash.update(this.batch)
      this.batch = ''
    }
  }

  hex(): string {
    return this.hash.update(this.batch).digest('hex')
  }
}

/** The digest of entries already in code-unit order of their paths. */
export function digestOfEntries(entries: readonly DigestEntry[]): string {
  const hash = new BatchedHash()
  for (const entry of entries) hash.add(`${entryLine(entry)}\n`)
  return `sha256:${hash.hex()}`
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

/** The entries behind a digest in its order: code-unit order of their paths, the root and devices left out. */
function digestOrder(entries: readonly Entry[]): Entry[] {
  const sorted = entries.filter((entry) => entry.rel !== '' && entry.kind !== 'special')
  return sorted.sort((a, b) => compareCodeUnits(a.rel, b.rel))
}

/**
 * Calls `visit` with the digest entry of each of `sorted` (see digestOrder). `hashOf` gives a
 * file's content hash, or undefined for a file gone since the walk: BuildKit, walking now, would
 * not send it either (as the sync treats it), so it is left out.
 */
function visitDigestEntries(
  sorted: readonly Entry[],
  asIs: boolean,
  hashOf: (entry: Entry) => string | undefined,
  visit: (entry: DigestEntry) => void,
): void {
  const modeOf = (entry: Entry): string => octal(asIs ? entry.mode : canonicalMode(entry))
  for (const entry of sorted) {
    if (entry.kind === 'dir') visit({path: entry.rel, type: 'dir', mode: modeOf(entry)})
    else if (entry.kind === 'symlink') visit({path: entry.rel, type: 'symlink', target: entry.target ?? ''})
    // BuildKit sends a FIFO as a FIFO (never read: opening it would block) and a socket as an empty file
    else if (entry.kind === 'fifo') visit({path: entry.rel, type: 'fifo', mode: modeOf(entry)})
    else if (entry.kind === 'socket') visit({path: entry.rel, type: 'file', mode: modeOf(entry), size: 0, sha256: EMPTY_SHA256})
    else {
      const sha256 = hashOf(entry)
      if (sha256 !== undefined) visit({path: entry.rel, type: 'file', mode: modeOf(entry), size: entry.size, sha256})
    }
  }
}

/**
 * The digest of walked entries (pre-order, root first) whose content is read under `root`, each
 * digest entry handed to `visit` as it is made and its line hashed, never all kept. `previous`
 * vouches for a file whose size and mtime it lists; `record`, when given, receives the hash record
 * for the next digest, without the files `racy` names (see isRacy in sync.ts). Modes are the
 * canonical ones a stage sends, or with `asIs` the entries' own (a context sent unstaged, setuid
 * bits and all).
 */
function computeDigest(
  root: string,
  entries: readonly Entry[],
  previous: HashRecord,
  asIs: boolean,
  visit: (entry: DigestEntry) => void,
  record?: PathRecordWriter,
  racy: (entry: Entry) => boolean = () => false,
): {digest: string; hashed: number; racy: number} {
  const hash = new BatchedHash()
  let hashed = 0
  let unsettled = 0
  const hashOf = (entry: Entry): string | undefined => {
    let sha256 = recordedHash(previous, entry)
    if (sha256 === undefined) {
      sha256 = hashIfPresent(entryPath(root, entry.rel))
      if (sha256 === undefined) return undefined
      hashed++
    }
    if (racy(entry)) unsettled++
    else record?.add(entry.rel, `${statKey(entry)}${sha256}`)
    return sha256
  }
  visitDigestEntries(digestOrder(entries), asIs, hashOf, (entry) => {
    hash.add(`${entryLine(entry)}\n`)
    visit(entry)
  })
  record?.flush()
  return {digest: `sha256:${hash.hex()}`, hashed, racy: unsettled}
}

/** The digest of walked entries and the entries behind it; see computeDigest. */
export function digestEntries(
  root: string,
  entries: readonly Entry[],
  previous: HashRecord = PathRecord.empty(),
  asIs = false,
): ContextDigest {
  const out: DigestEntry[] = []
  const {digest, hashed} = computeDigest(root, entries, previous, asIs, (entry) => out.push(entry))
  return {digest, hashed, entries: out}
}

/** The hash record saved for `context` in `file`; empty when there is none, it is for another context, or of another format. */
export function readHashRecord(file: string, context: string): HashRecord {
  try {
    const saved = parseRecordFile(readFileSync(file))
    const header = saved?.header as {version?: unknown; context?: unknown} | undefined
    if (saved && header?.version === HASHES_VERSION && header.context === context) return saved.record
  } catch {
    // none yet, or unreadable: hash every file
  }
  return PathRecord.empty()
}

function writeSaved(file: string, value: object): void {
  try {
    writeFileAtomic(file, JSON.stringify(value))
  } catch {
    // only a speed-up is lost
  }
}

/**
 * What the walk saw of every entry (path, kind, mode, size, times, inode, link target), in walk order: equal
 * fingerprints mean equal digests, so a warm stage reuses the last digest without sorting, building
 * or hashing 20,000 lines, and without reading the hash record at all.
 */
function fingerprint(entries: readonly Entry[], asIs: boolean): string {
  const hash = new BatchedHash()
  hash.add(asIs ? 'as-is\n' : 'canonical\n')
  for (const entry of entries) {
    if (entry.kind !== 'special') {
      hash.add(
        `${entry.rel}\0${entry.kind}\0${entry.mode}\0${entry.size}\0${entry.mtimeNs}\0${entry.ctimeNs}\0${entry.ino}\0${entry.target ?? ''}\n`,
      )
    }
  }
  return hash.hex()
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
 * its entries in `file.digest`): content is read only for files whose stat changed, and when
 * nothing changed at all the last digest is reused and the entries behind it are built only if
 * someone asks for them (a manifest). `settledBefore` (see isRacy in sync.ts): files changed since
 * are not recorded, and no digest is reused from a fingerprint that holds them; undefined for a
 * directory only dbuild writes, and that only by renaming whole files into it (a stage).
 */
export function digestWithRecord(
  root: string,
  entries: readonly Entry[],
  file: string,
  context: string,
  asIs = false,
  settledBefore?: bigint,
): ContextDigest {
  const summaryFile = `${file}.digest`
  const print = fingerprint(entries, asIs)
  const summary = readSummary(summaryFile, context)
  // the entries behind a digest, built when asked for from the record saved with it (nothing read again)
  let built: DigestEntry[] | undefined
  const withEntries = (digest: string, hashed: number): ContextDigest => ({
    digest,
    hashed,
    get entries() {
      built ??= digestEntries(root, entries, readHashRecord(file, context), asIs).entries
      return built
    },
  })
  if (summary?.fingerprint === print) return withEntries(summary.digest, 0)
  const previous = readHashRecord(file, context)
  // the next record goes straight to its file: at 200,000 files it is tens of MB never needed in memory
  let next: AtomicFile | undefined = openRecord(file, JSON.stringify({version: HASHES_VERSION, context}))
  const record = new PathRecordWriter((chunk) => {
    try {
      next?.write(chunk)
    } catch {
      next = undefined // aborted: only the speed-up is lost
    }
  })
  let computed: {digest: string; hashed: number; racy: number}
  try {
    const racy = settledBefore === undefined ? undefined : (entry: Entry) => isRacy(entry, settledBefore)
    computed = computeDigest(root, entries, previous, asIs, () => {}, record, racy)
  } catch (error) {
    next?.abort() // a file that cannot be read: no half record left behind
    throw error
  }
  const {digest, hashed} = computed
  try {
    if (hashed > 0 || previous.size !== record.size) next?.commit()
    else next?.abort()
  } catch {
    // only the speed-up is lost: the next digest reads every file
  }
  if (computed.racy === 0) writeSaved(summaryFile, {version: HASHES_VERSION, context, fingerprint: print, digest} satisfies SavedSummary)
  else rmSync(summaryFile, {force: true})
  return withEntries(digest, hashed)
}

/** A record file being written, its header line written; undefined when it cannot be (a read-only cache). */
function openRecord(file: string, header: string): AtomicFile | undefined {
  try {
    const out = new AtomicFile(file)
    out.write(`${header}\n`)
    return out
  } catch {
    return undefined
  }
}
