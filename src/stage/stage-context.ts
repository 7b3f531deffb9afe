/**
 * The stage's facade. Context staging: a copy of exactly the paths BuildKit would send for a context, with canonical
 * modes, synced into a stable per-context directory so COPY/ADD checksums match on every machine.
 */
import {accessSync, constants, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {DbuildError, ExitCode} from '../exit-codes.js'
import {workingDirectory} from '../working-dir.js'
import {makeDirectories} from '../write-atomic.js'
import {contextDirectory} from './context-directory.js'
import {type ContextDigest, digestEntries, digestWithRecord, readHashRecord} from './digest.js'
import {IgnoreMatcher, ignoreFileFor, parseIgnoreFile} from './ignore.js'
import {LockUnavailable, withLock} from './lock.js'
import {decodeBytes} from '../surrogate-escape.js'
import {cacheInside, checkOut, hashesPath, isInside, listingsPath, outMarker, removeStage, scratchPath, stageRootFor} from './layout.js'
import {PathRecord} from './path-record.js'
import {ListingsFile} from './state-file.js'
import {canonicalMode, StageUnwritable, syncTree, writeError} from './sync.js'
import {type Entry, entryPath, Listings, walkTree} from './walk.js'

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

interface RealContext {
  context: string
  ignoreFile: string
}

/**
 * The real context directory and its effective ignore file; errors name what is missing (for a
 * command, the input resolver, pipeline/inputs.ts, has said so already).
 */
function realContext(context: string, dockerfile?: string): RealContext {
  const real = realpathSync(contextDirectory(context, workingDirectory()))
  try {
    accessSync(real, constants.R_OK | constants.X_OK)
  } catch (error) {
    // said here, before anything inside it (.dockerignore first) fails to open for the same reason
    throw new DbuildError(`${context}: cannot read the build context (${(error as NodeJS.ErrnoException).code})`, ExitCode.IO, [
      `Check the permissions of ${context}.`,
    ])
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
        digest = digestWithRecord(
          real,
          entries,
          hashesPath(stageRootFor(real, options.dockerfile, options.env), undefined),
          real,
          false,
          settledBefore,
        )
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
 * The stage under its lock: walk the context, then sync the stage to the entries. When `skip` says
 * so for the walked entries, nothing is synced and the result is undefined.
 */
async function walkAndStage(
  options: StageOptions,
  skip?: (context: string, entries: Entry[], settledBefore: bigint) => Promise<boolean>,
): Promise<StageResult | undefined> {
  const inputs = realContext(options.context, options.dockerfile)
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
              options.onWarning?.(
                `${cache}: dbuild's cache directory lies inside the context and is left out of the stage; list it in ` +
                  `.dockerignore so that plain buildx leaves it out too`,
              )
            },
          }),
    })
  }
  // a context sent as it is would carry the cache directory along
  const skipWalked =
    skip && (async (entries: Entry[], settledBefore: bigint) => !cacheExcluded && (await skip(inputs.context, entries, settledBefore)))

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
              ? {
                  listings: listings.stage,
                  vouch: listings.vouches,
                  beforeWrite: () => listings.invalidate(),
                  ...(listings.record ? {record: listings.record} : {}),
                }
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
          const digest = options.digest
            ? digestWithRecord(dir, staged, hashesPath(root, out), inputs.context, false, listings?.settledBefore ?? 0n)
            : undefined
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
  const inputs = realContext(context, dockerfile)
  return entriesAreCanonical(inputs.context, walkTree(inputs.context, {matcher: loadMatcher(inputs.ignoreFile)}))
}

/** The entries BuildKit would be sent for `context` (special files included), walked without staging. */
export function walkContext(context: string, dockerfile?: string): {context: string; ignoreFile?: string; entries: Entry[]} {
  const inputs = realContext(context, dockerfile)
  const entries = walkTree(inputs.context, {matcher: loadMatcher(inputs.ignoreFile), readLinks: true})
  return {context: inputs.context, ...(isFile(inputs.ignoreFile) ? {ignoreFile: inputs.ignoreFile} : {}), entries}
}

/**
 * The digest of what BuildKit would be sent for `context` now, without staging: for `dbuild explain`
 * and unstaged builds (`asIs`: the modes as they are, not as a stage would make them). The hashes
 * its stage keeps are reused where they still hold, and left as they are.
 */
export function digestContext(
  context: string,
  dockerfile?: string,
  env: NodeJS.ProcessEnv = process.env,
  asIs = false,
): {context: string; ignoreFile?: string; digest: ContextDigest} {
  const {entries, ...walked} = walkContext(context, dockerfile)
  const previous = readHashRecord(hashesPath(stageRootFor(walked.context, dockerfile, env), undefined), walked.context)
  return {...walked, digest: digestEntries(walked.context, entries, previous, asIs)}
}
