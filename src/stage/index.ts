/**
 * Context staging: a copy of exactly the paths BuildKit would send for a context, with canonical
 * modes, synced into a stable per-context directory so COPY/ADD checksums match on every machine.
 */
import {createHash} from 'node:crypto'
import {accessSync, closeSync, constants, existsSync, mkdirSync, openSync, readFileSync, readdirSync, realpathSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {dbuildCacheDir} from '../cache-dir.js'
import {writeAll} from '../write-atomic.js'
import {DbuildError, ExitCode} from '../exit-codes.js'
import {type ContextDigest, digestEntries, digestWithRecord, readHashRecord} from './digest.js'
import {IgnoreMatcher, ignoreFileFor, parseIgnoreFile} from './ignore.js'
import {LockUnavailable, withLock} from './lock.js'
import {decodeBytes} from '../surrogate-escape.js'
import {parseRecordFile, PathRecord} from './path-record.js'
import {canonicalMode, StageUnwritable, type StagedRecord, syncTree, writeError, writeRecord} from './sync.js'
import {type Entry, entryPath, Listings, type SavedListings, walkTree} from './walk.js'

// ignoreFileFor lives in ignore.ts so that the input resolver can ask for it without loading the stage
export {IgnoreMatcher, ignoreFileFor, parseIgnoreFile} from './ignore.js'
export {canonicalMode} from './sync.js'
export type {ContextDigest, DigestEntry} from './digest.js'

export interface StageOptions {
  context: string
  /** Absolute path; its `<Dockerfile>.dockerignore` wins over `<context>/.dockerignore`, as in buildx. */
  dockerfile?: string
  /** Stage into this directory instead of the per-context cache directory. */
  out?: string
  /** Where the cache directory is found (DBUILD_CACHE_DIR, XDG_CACHE_HOME, HOME); process.env by default. */
  env?: NodeJS.ProcessEnv
  onWarning?: (message: string) => void
  /** Called as paths are written, for a progress display. */
  onProgress?: (written: number, total: number) => void
  /** Also compute the context digest (see digest.ts); content is read only for files changed since the last digest. */
  digest?: boolean
}

export interface StageResult {
  /** The staged context directory. */
  dir: string
  /** The per-context dbuild directory that contains `dir`; build writes its rewritten Dockerfile here, never inside `dir`. */
  root: string
  /** Regular files and symlinks in the stage. */
  files: number
  /** Bytes of the regular files in the stage. */
  bytes: number
  /** Paths written (copied, created, re-moded). */
  changed: number
  /** Paths removed from the stage. */
  removed: number
  /** Devices left out (context-relative): only root can create one in a stage. */
  skipped: string[]
  /** The .dockerignore that applied, if any. */
  ignoreFile?: string
  /** The context digest and the entries behind it, when asked for (StageOptions.digest). */
  digest?: ContextDigest
}

interface Inputs {
  context: string
  ignoreFile: string
}

/** The real context directory and its effective ignore file; errors name what is missing. */
function resolveInputs(context: string, dockerfile?: string): Inputs {
  let real: string
  try {
    real = realpathSync(context)
  } catch {
    throw new DbuildError(`${context}: build context not found`, ExitCode.NO_INPUT)
  }
  if (!statSync(real).isDirectory()) throw new DbuildError(`${context}: build context is not a directory`, ExitCode.NO_INPUT)
  try {
    accessSync(real, constants.R_OK | constants.X_OK)
  } catch (error) {
    // said here, before anything inside it (.dockerignore first) fails to open for the same reason
    throw new DbuildError(`${context}: cannot read the build context (${(error as NodeJS.ErrnoException).code})`, ExitCode.IO, [`Check the permissions of ${context}.`])
  }
  if (dockerfile !== undefined && !existsSync(dockerfile)) throw new DbuildError(`${dockerfile}: Dockerfile not found`, ExitCode.NO_INPUT)
  return {context: real, ignoreFile: ignoreFileFor(real, dockerfile)}
}

function isFile(file: string): boolean {
  return statSync(file, {throwIfNoEntry: false})?.isFile() ?? false
}

function loadMatcher(ignoreFile: string): IgnoreMatcher {
  let text: string
  try {
    // byte-exact, as the names it is matched against (see names.ts)
    text = decodeBytes(readFileSync(ignoreFile))
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    // buildx reads no ignore file from a directory of that name, and says nothing
    if (code === 'ENOENT' || code === 'EISDIR') return new IgnoreMatcher([])
    throw new DbuildError(`${ignoreFile}: cannot read (${code})`, ExitCode.IO)
  }
  return new IgnoreMatcher(parseIgnoreFile(text, ignoreFile))
}

/** Stable per-context directory: `<cache>/stage/<key>`, key = hash(realpath(context) + effective ignore file path). */
export function stageRootFor(context: string, dockerfile?: string, env: NodeJS.ProcessEnv = process.env): string {
  let real: string
  try {
    real = realpathSync(context)
  } catch {
    real = path.resolve(context)
  }
  const key = createHash('sha256').update(`${real}\0${ignoreFileFor(real, dockerfile)}`).digest('hex').slice(0, 20)
  return path.join(dbuildCacheDir(env), 'stage', key)
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child)
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))
}

/** Marker next to an --out directory: sync deletes files, so only ever into a directory dbuild made. */
function outMarker(dir: string): string {
  return path.join(path.dirname(dir), `.${path.basename(dir)}.dbuild-stage`)
}

function checkOut(dir: string): void {
  if (!existsSync(dir) || existsSync(outMarker(dir))) return
  let empty: boolean
  try {
    empty = readdirSync(dir).length === 0
  } catch {
    throw new DbuildError(`${dir}: --out is not a directory dbuild can use`, ExitCode.CANT_CREATE)
  }
  if (!empty) {
    throw new DbuildError(`${dir}: --out exists, is not empty and was not staged by dbuild; staging would delete its files`, ExitCode.CANT_CREATE, [
      'Pass a new or empty directory to --out.',
    ])
  }
}

/**
 * 4: times in nanoseconds, and a file's ctime and inode in the record; 3 had a header line, then the
 * record's lines (2 was one JSON document). An older state is simply not read.
 */
const LISTINGS_VERSION = 4

/** The state file's first line; the record's lines follow it (see PathRecord). */
interface SavedState {
  version: number
  context: string
  dir: string
  source: SavedListings
  stage: SavedListings
  /** The lines after this header are what the sync that saved this state left in the stage. */
  staged: boolean
}

/**
 * The state one stage hands to the next, kept beside the stage, never in it: directory listings
 * (see Listings) and the record of what it holds (see StagedRecord), which vouches for unchanged
 * files without a look at the stage only where dbuild alone writes it (not --out).
 */
class ListingsFile {
  readonly source: Listings
  readonly stage: Listings
  /** The record of the stage as the last complete sync left it. */
  readonly record: StagedRecord | undefined
  /** A time of the file system's clock taken before the walk: files changed since are left out of records (see isRacy). */
  readonly settledBefore: bigint
  private readonly temp: string
  private readonly saved: {state: SavedState; record: StagedRecord} | undefined
  /** The stage was not looked at (see keepStage). */
  private stageUnused = false
  /** What the stage holds once a sync has completed; its record is made only if it is saved. */
  private synced: readonly Entry[] | undefined
  private recordChanged = false
  private invalidated = false

  private constructor(
    private readonly file: string,
    private readonly context: string,
    private readonly dir: string,
    probe: {dev: bigint; mtimeNs: bigint},
    /** The record may vouch for files without a look at the stage: only dbuild writes it. */
    readonly vouches: boolean,
  ) {
    this.temp = ListingsFile.tempOf(file)
    this.saved = ListingsFile.read(file, context, dir)
    this.source = new Listings(this.saved?.state.source ?? {}, probe, true)
    this.stage = new Listings(this.saved?.state.stage ?? {}, probe, false)
    this.record = this.saved?.state.staged ? this.saved.record : undefined
    this.settledBefore = probe.mtimeNs
  }

  /** The stage was left alone this time: its listings and record are still those saved, so keep them. */
  keepStage(): void {
    this.stageUnused = true
  }

  /** The stage is about to change: the saved state no longer describes it, so it goes now, not at close. */
  invalidate(): void {
    if (this.invalidated) return
    this.invalidated = true
    rmSync(this.file, {force: true})
  }

  /** A sync completed: `sources` is what the stage holds now; `unrecorded` files were not vouched for by the old record. */
  completed(sources: readonly Entry[], unrecorded: number): void {
    this.synced = sources
    this.recordChanged = unrecorded > 0 || this.record === undefined
  }

  /**
   * Opens the state of the stage `dir`; undefined (list everything) when the probe cannot be written.
   * `vouches` only for a stage no one but dbuild writes.
   */
  static open(file: string, context: string, dir: string, vouches: boolean): ListingsFile | undefined {
    const temp = ListingsFile.tempOf(file)
    try {
      writeFileSync(temp, '') // the probe: stamped by the file system's clock before any listing is read
      return new ListingsFile(file, context, dir, statSync(temp, {bigint: true}), vouches)
    } catch {
      return undefined
    }
  }

  /**
   * The probe and the next state are written here. A ListingsFile is only opened under the stage
   * lock, so one name serves every process: one killed mid-stage leaves this file behind, and the
   * next stage reuses and removes it instead of leaving one per process.
   */
  private static tempOf(file: string): string {
    return `${file}.tmp`
  }

  private static read(file: string, context: string, dir: string): {state: SavedState; record: StagedRecord} | undefined {
    let data: Buffer
    try {
      data = readFileSync(file)
    } catch {
      return undefined // none yet, or unreadable: list everything
    }
    const saved = parseRecordFile(data)
    const state = saved?.header as SavedState | undefined
    return saved && state?.version === LISTINGS_VERSION && state.context === context && state.dir === dir ? {state, record: saved.record} : undefined
  }

  /** Keeps the state for the next stage when any of it is new, and removes the probe. */
  close(succeeded: boolean): void {
    try {
      if (succeeded && (this.source.reads + this.stage.reads > 0 || this.recordChanged || this.invalidated)) {
        const stage = this.stageUnused ? (this.saved?.state.stage ?? {}) : this.stage.next
        const staged = this.stageUnused ? this.record !== undefined : this.synced !== undefined
        const state: SavedState = {version: LISTINGS_VERSION, context: this.context, dir: this.dir, source: this.source.next, stage, staged}
        // the probe is reused as the temp file (see tempOf); the record's lines go straight to it
        const fd = openSync(this.temp, 'w')
        try {
          writeAll(fd, `${JSON.stringify(state)}\n`)
          if (this.stageUnused) {
            if (this.record) writeAll(fd, this.record.lines())
          } else if (this.synced) writeRecord(this.synced, (chunk) => writeAll(fd, chunk), this.settledBefore)
        } finally {
          closeSync(fd)
        }
        renameSync(this.temp, this.file)
      } else unlinkSync(this.temp)
    } catch {
      // only a speed-up is lost: the next stage lists every directory
      rmSync(this.temp, {force: true})
    }
  }
}

/** Where the listings of a stage live: beside `--out` (hidden, like its marker), else beside the stage root. */
function listingsPath(root: string, out: string | undefined): string {
  return out ? path.join(path.dirname(out), `.${path.basename(out)}.dbuild-listings`) : `${root}.listings`
}

/** Stages `options.context`; see StageResult. Concurrent stages of one directory take turns. */
export async function stageContext(options: StageOptions): Promise<StageResult> {
  // without a skip test there is always a stage
  return (await walkAndStage(options)) as StageResult
}

/** What prepareContext found: a context to build from directly, or the stage it synced. */
export type PreparedContext =
  /** `context` is the real context directory; `root` the per-context dbuild directory, as in StageResult. */
  | {canonical: true; context: string; root: string; digest?: ContextDigest}
  | {canonical: false; stage: StageResult}
  /**
   * No stage could be written (a full or read-only cache): the context is sent as it is, modes and
   * all, as plain buildx sends it; `warning` says so. The digest, when asked for, has its own modes.
   */
  | {canonical: false; unstaged: {context: string; root: string; warning: string; digest?: ContextDigest}}

/**
 * contextIsCanonical and stageContext in one walk, as `dbuild build` needs them: the context's paths
 * are walked once; when they are canonical already the stage is left alone, else the same entries
 * are synced into it. Walking twice would cost a cached build most of its budget.
 */
export async function prepareContext(options: Omit<StageOptions, 'out'>): Promise<PreparedContext> {
  let context = ''
  let digest: ContextDigest | undefined
  let staged: StageResult | undefined
  try {
    staged = await walkAndStage(options, async (real, entries, settledBefore) => {
      context = real
      const canonical = await entriesAreCanonical(real, entries)
      if (canonical && options.digest) {
        digest = digestWithRecord(real, entries, hashesPath(stageRootFor(real, options.dockerfile, options.env), undefined), real, false, settledBefore)
      }
      return canonical
    })
  } catch (error) {
    // plain buildx needs no stage: never fail where it builds
    if (!(error instanceof StageUnwritable)) throw error
    const walked = walkContext(options.context, options.dockerfile)
    const root = stageRootFor(walked.context, options.dockerfile, options.env)
    const warning = `${error.message}: building from ${walked.context} as it is, whose modes are not canonical (COPY checksums may differ from other machines')`
    const unstagedDigest = options.digest ? digestEntries(walked.context, walked.entries, PathRecord.empty(), true) : undefined
    return {canonical: false, unstaged: {context: walked.context, root, warning, ...(unstagedDigest ? {digest: unstagedDigest} : {})}}
  }
  if (staged) return {canonical: false, stage: staged}
  return {canonical: true, context, root: stageRootFor(context, options.dockerfile, options.env), ...(digest ? {digest} : {})}
}

/** Where the content hashes behind a stage's digest live: beside its listings (see listingsPath). */
function hashesPath(root: string, out: string | undefined): string {
  return `${listingsPath(root, out)}.hashes`
}

/**
 * The context digest of a stage (see digest.ts): the one computed with it (StageOptions.digest), else
 * computed now from the staged directory, which holds exactly what BuildKit is sent, reading only
 * content changed since the last digest of that stage. Probe answers and manifests key on it. Only
 * for a staged directory: a context prepareContext found canonical is not filtered by .dockerignore
 * here, so ask prepareContext for its digest instead (StageOptions.digest).
 */
export function stageDigest(result: Pick<StageResult, 'dir' | 'root' | 'digest'>): string {
  if (result.digest) return result.digest.digest
  const entries = walkTree(result.dir, {readLinks: true})
  return digestWithRecord(result.dir, entries, path.join(result.root, `.${path.basename(result.dir)}.stage-hashes`), result.dir).digest
}

/**
 * mkdir -p, one directory at a time: Node's recursive mkdir reports ENOENT where a parent lies on a
 * read-only file system, and the error must say EROFS.
 */
function makeDirectories(dir: string): void {
  if (existsSync(dir)) return
  const parent = path.dirname(dir)
  if (parent !== dir) makeDirectories(parent)
  try {
    mkdirSync(dir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }
}

/** Removes a stage that could not be written, as far as it can be (a read-only one stays as it is). */
function removeStage(dir: string): void {
  try {
    rmSync(dir, {recursive: true, force: true})
  } catch {
    // read-only: nothing was written there either
  }
}

/** The scratch directory of a stage (see SyncOptions.scratch): beside it, on its file system, never inside it. */
function scratchPath(root: string, dir: string): string {
  return path.join(root, `.${path.basename(dir)}.scratch`)
}

/**
 * dbuild's own cache directory, relative to the context, when it lies inside it (a CI job's
 * XDG_CACHE_HOME=$PWD/.cache, a build of $HOME): the walk leaves it out, or the stage would copy
 * itself into itself.
 */
function cacheInside(context: string, env: NodeJS.ProcessEnv | undefined): string | undefined {
  let cache: string
  try {
    cache = realpathSync(dbuildCacheDir(env))
  } catch {
    return undefined
  }
  return cache !== context && isInside(cache, context) ? path.relative(context, cache).split(path.sep).join('/') : undefined
}

/**
 * The stage under its lock: walk the context, then sync the stage to the entries. When `skip` says
 * so for the walked entries, nothing is synced and the result is undefined.
 */
async function walkAndStage(
  options: StageOptions,
  skip?: (context: string, entries: Entry[], settledBefore: bigint) => Promise<boolean>,
): Promise<StageResult | undefined> {
  const inputs = resolveInputs(options.context, options.dockerfile)
  const matcher = loadMatcher(inputs.ignoreFile)
  const out = options.out === undefined ? undefined : path.resolve(options.out)
  const root = out ? path.dirname(out) : stageRootFor(inputs.context, options.dockerfile, options.env)
  const dir = out ?? path.join(root, 'context')
  if ((out && isInside(dir, inputs.context)) || isInside(inputs.context, dir)) {
    throw new DbuildError(`${dir}: the stage cannot be inside the context or contain it (${inputs.context})`, ExitCode.CANT_CREATE, [
      out ? 'Pass --out outside the context.' : 'Set DBUILD_CACHE_DIR outside the context.',
    ])
  }
  if (out) checkOut(out)

  let cacheExcluded = false
  const walk = (listings?: Listings): Entry[] => {
    const cache = out ? undefined : cacheInside(inputs.context, options.env)
    return walkTree(inputs.context, {
      matcher,
      readLinks: true,
      ...(listings ? {listings} : {}),
      ...(cache === undefined
        ? {}
        : {
            exclude: new Set([cache]),
            onExcluded: () => {
              cacheExcluded = true
              options.onWarning?.(`${cache}: dbuild's cache directory lies inside the context and is left out of the stage; list it in .dockerignore so that plain buildx leaves it out too`)
            },
          }),
    })
  }
  // a context sent as it is would carry the cache directory along
  const skipWalked = skip && (async (entries: Entry[], settledBefore: bigint) => !cacheExcluded && (await skip(inputs.context, entries, settledBefore)))

  let result: Omit<StageResult, 'dir' | 'root' | 'ignoreFile'> | undefined
  try {
    try {
      makeDirectories(root)
    } catch (error) {
      throw new LockUnavailable(`${root}: cannot create the stage directory (${(error as NodeJS.ErrnoException).code})`)
    }
    const lockFile = path.join(root, `.${path.basename(dir)}.lock`)
    result = await withLock(
      lockFile,
      async () => {
        // an --out directory is the user's to look into and edit, so every path of it is checked each time
        const listings = ListingsFile.open(listingsPath(root, out), inputs.context, dir, out === undefined)
        const scratch = scratchPath(root, dir)
        let succeeded = false
        try {
          const entries = walk(listings?.source)
          if (skipWalked && (await skipWalked(entries, listings?.settledBefore ?? 0n))) {
            succeeded = true
            listings?.keepStage()
            return undefined
          }
          const skipped = entries.filter((entry) => entry.kind === 'special').map((entry) => entry.rel)
          const sources = entries.filter((entry) => entry.kind !== 'special')
          if (out) writeFileSync(outMarker(out), `${inputs.context}\n`)
          // what a process killed mid-sync left here is no one's: this process holds the lock
          rmSync(scratch, {recursive: true, force: true})
          try {
            mkdirSync(scratch)
          } catch (error) {
            throw writeError(scratch, error)
          }
          // A failed sync leaves the stage as it is: whole files, old or new, that a running build
          // may still be reading. Its record was invalidated before the first write, so the next
          // sync checks every path again.
          const {unrecorded, vanished, ...counts} = await syncTree(inputs.context, sources, dir, {
            onProgress: options.onProgress,
            scratch,
            ...(listings
              ? {listings: listings.stage, vouch: listings.vouches, beforeWrite: () => listings.invalidate(), ...(listings.record ? {record: listings.record} : {})}
              : {}),
          }).catch((error: unknown) => {
            // a stage that cannot be written (a full disk) goes whole, or its files would fill the
            // disk for every other context too; an --out directory is the user's and stays
            if (error instanceof StageUnwritable && !out) removeStage(dir)
            throw error
          })
          const gone = new Set(vanished)
          const staged = gone.size === 0 ? sources : sources.filter((entry) => !gone.has(entry.rel))
          listings?.completed(staged, unrecorded)
          // the digest reads the stage, which is what BuildKit is sent: the context may already have
          // moved on (an editor's save renames files in and out between the sync and this read)
          const digest = options.digest ? digestWithRecord(dir, staged, hashesPath(root, out), inputs.context, false, listings?.settledBefore ?? 0n) : undefined
          succeeded = true
          return {...counts, skipped, ...(digest ? {digest} : {})}
        } finally {
          rmSync(scratch, {recursive: true, force: true})
          listings?.close(succeeded)
        }
      },
      {
        onWait: (owner) => options.onWarning?.(`waiting for dbuild process ${owner?.pid ?? '?'} to finish staging ${dir}`),
        onTakeOver: (message) => options.onWarning?.(message),
      },
    )
  } catch (error) {
    // a context that needs no stage builds without one, even where no stage can be written
    if (error instanceof LockUnavailable && skipWalked && (await skipWalked(walk(), 0n))) return undefined
    throw error
  }
  if (!result) return undefined
  if (result.skipped.length > 0) {
    options.onWarning?.(`skipped ${result.skipped.length} device(s) that only root can create: ${result.skipped.join(', ')}`)
  }
  const ignoreFile = isFile(inputs.ignoreFile) ? inputs.ignoreFile : undefined
  return {dir, root, ...result, ...(ignoreFile ? {ignoreFile} : {})}
}

/**
 * Canonical modes and no user.* xattrs (see contextIsCanonical). FIFOs, sockets and devices count
 * like files: BuildKit sends them itself, with their modes.
 */
async function entriesAreCanonical(context: string, entries: Entry[]): Promise<boolean> {
  for (const entry of entries) {
    if (entry.kind !== 'symlink' && entry.mode !== canonicalMode(entry)) return false
  }
  // loaded only here: the xattr check runs python3 through execa, which a staged build never needs
  const {pathsWithUserXattrs} = await import('./xattr.js')
  const withXattrs = await pathsWithUserXattrs(entries.map((entry) => entryPath(context, entry.rel)))
  return withXattrs !== undefined && withXattrs.length === 0
}

/**
 * True when every path BuildKit would send already has canonical modes (no setuid etc., no user.*
 * xattrs): build may then send the context itself and skip the copy.
 */
export async function contextIsCanonical(context: string, dockerfile?: string): Promise<boolean> {
  const inputs = resolveInputs(context, dockerfile)
  return entriesAreCanonical(inputs.context, walkTree(inputs.context, {matcher: loadMatcher(inputs.ignoreFile)}))
}

/** The entries BuildKit would be sent for `context` (special files included), walked without staging. */
export function walkContext(context: string, dockerfile?: string): {context: string; ignoreFile?: string; entries: Entry[]} {
  const inputs = resolveInputs(context, dockerfile)
  const entries = walkTree(inputs.context, {matcher: loadMatcher(inputs.ignoreFile), readLinks: true})
  return {context: inputs.context, ...(isFile(inputs.ignoreFile) ? {ignoreFile: inputs.ignoreFile} : {}), entries}
}

/**
 * The digest of what BuildKit would be sent for `context` now, without staging: for `dbuild explain`
 * and unstaged builds (`asIs`: the modes as they are, not as a stage would make them). The hashes
 * its stage keeps are reused where they still hold, and left as they are.
 */
export function digestContext(context: string, dockerfile?: string, env: NodeJS.ProcessEnv = process.env, asIs = false): {context: string; ignoreFile?: string; digest: ContextDigest} {
  const {entries, ...walked} = walkContext(context, dockerfile)
  const previous = readHashRecord(hashesPath(stageRootFor(walked.context, dockerfile, env), undefined), walked.context)
  return {...walked, digest: digestEntries(walked.context, entries, previous, asIs)}
}
