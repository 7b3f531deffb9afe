/**
 * The context manifest: every entry behind a context digest, plus the inputs of a build that are
 * not files of the context, so `dbuild explain` can say later, on another machine, why a build
 * missed the cache. JSON Lines: one header object, then one entry per line in digest order, exactly
 * the lines the digest hashes (`tail -n +2 FILE | sha256sum` prints the digest).
 *
 * Build-arg values are kept as sha256 only: a manifest is meant to be kept as a CI artifact and a
 * build arg may hold something that must not be.
 */
import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'

import {DbuildError, ExitCode, readFailureExit} from '../exit-codes.js'
import {type ContextDigest, type DigestEntry, digestOfEntries, entryLine} from '../stage/digest.js'
import {writeFileAtomic} from '../write-atomic.js'

export const MANIFEST_KIND = 'dbuild-context-manifest'
export const MANIFEST_VERSION = 1

/** A text input recorded whole: the Dockerfile or the .dockerignore that applied. */
export interface RecordedText {
  /** As the user named it (relative to the context when inside it). */
  path: string
  sha256: string
  text: string
}

export interface ManifestHeader {
  manifest: typeof MANIFEST_KIND
  version: number
  digest: string
  entries: number
  dockerfile: RecordedText | null
  dockerignore: RecordedText | null
  /** The `# syntax=` directive of the Dockerfile. */
  syntax: string | null
  /** Build-arg name → `sha256:<hex>` of its value. */
  buildArgs: Record<string, string>
  platform: string | null
  target: string | null
  /** `canonical`: modes as a stage sends them; `as-is`: the context was sent unstaged (--no-stage). */
  modes: 'canonical' | 'as-is'
}

export interface Manifest {
  header: ManifestHeader
  entries: DigestEntry[]
}

/** The inputs besides the context that a build reads (all optional). */
export interface BuildInputs {
  dockerfile?: {path: string; text: string}
  dockerignore?: {path: string; text: string}
  buildArgs?: Record<string, string>
  platform?: string
  target?: string
  /** The context was sent unstaged, its modes as they are. */
  modesAsIs?: boolean
}

export function sha256Hex(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex')
}

/** `sha256:<hex>` of a build-arg value, as the manifest keeps it. */
export function buildArgHash(value: string): string {
  return `sha256:${sha256Hex(value)}`
}

/** The `# syntax=` directive of Dockerfile text (parser directives only come before anything else). */
export function syntaxDirective(text: string): string | null {
  for (const raw of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const match = /^#\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(.*?)\s*$/.exec(raw)
    if (!match) return null
    if (match[1]?.toLowerCase() === 'syntax') return match[2] ?? null
  }
  return null
}

function recorded(input: {path: string; text: string} | undefined): RecordedText | null {
  return input ? {path: input.path, sha256: sha256Hex(input.text), text: input.text} : null
}

export function buildManifest(context: ContextDigest, inputs: BuildInputs = {}): Manifest {
  const buildArgs: Record<string, string> = {}
  for (const name of Object.keys(inputs.buildArgs ?? {}).sort()) buildArgs[name] = buildArgHash(inputs.buildArgs?.[name] ?? '')
  return {
    header: {
      manifest: MANIFEST_KIND,
      version: MANIFEST_VERSION,
      digest: context.digest,
      entries: context.entries.length,
      dockerfile: recorded(inputs.dockerfile),
      dockerignore: recorded(inputs.dockerignore),
      syntax: inputs.dockerfile ? syntaxDirective(inputs.dockerfile.text) : null,
      buildArgs,
      platform: inputs.platform ?? null,
      target: inputs.target ?? null,
      modes: inputs.modesAsIs ? 'as-is' : 'canonical',
    },
    entries: context.entries,
  }
}

export function formatManifest(manifest: Manifest): string {
  const lines = [JSON.stringify(manifest.header)]
  for (const entry of manifest.entries) lines.push(entryLine(entry))
  return `${lines.join('\n')}\n`
}

/** Writes the manifest through a rename, so a pipeline never keeps half of one. */
export function writeManifest(file: string, manifest: Manifest): void {
  try {
    writeFileAtomic(file, formatManifest(manifest))
  } catch (error) {
    throw new DbuildError(
      `${file}: cannot write the manifest (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      ExitCode.CANT_CREATE,
    )
  }
}

function invalid(file: string, line: number, why: string): DbuildError {
  return new DbuildError(`${file}:${line}: not a dbuild context manifest (${why})`, ExitCode.INPUT, [
    'Pass a file written by `dbuild stage --manifest` or `dbuild build --manifest`.',
  ])
}

const ENTRY_TYPES = new Set(['dir', 'fifo', 'file', 'symlink'])

/** Reads and checks a manifest: its header, each entry line, and that the entries give its digest. */
export function readManifest(file: string): Manifest {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new DbuildError(`${file}: cannot read the manifest (${code})`, readFailureExit(error))
  }
  return parseManifest(text, file)
}

/** Checks manifest text (from `file`, or the registry artifact it names): its header, each entry line, and that the entries give its digest. */
export function parseManifest(text: string, file: string): Manifest {
  const lines = text.split('\n')
  if (lines.at(-1) === '') lines.pop()
  let header: ManifestHeader
  try {
    header = JSON.parse(lines[0] ?? '') as ManifestHeader
  } catch {
    throw invalid(file, 1, 'the first line is not JSON')
  }
  if (header?.manifest !== MANIFEST_KIND) throw invalid(file, 1, `no "manifest": "${MANIFEST_KIND}" header`)
  if (header.version !== MANIFEST_VERSION) {
    throw new DbuildError(
      `${file}:1: manifest version ${String(header.version)}, this dbuild reads version ${MANIFEST_VERSION}`,
      ExitCode.INPUT,
      ['Use the dbuild version that wrote it.'],
    )
  }
  const entries: DigestEntry[] = []
  for (let i = 1; i < lines.length; i++) {
    let entry: DigestEntry
    try {
      entry = JSON.parse(lines[i] as string) as DigestEntry
    } catch {
      throw invalid(file, i + 1, 'an entry line is not JSON')
    }
    if (typeof entry?.path !== 'string' || !ENTRY_TYPES.has(entry.type))
      throw invalid(file, i + 1, 'an entry needs a path and a type of dir, fifo, file or symlink')
    entries.push(entry)
  }
  if (digestOfEntries(entries) !== header.digest) {
    throw new DbuildError(
      `${file}: its entries do not give the digest in its header (${header.digest}); the file was changed or cut short`,
      ExitCode.INPUT,
    )
  }
  return {header: {...header, buildArgs: header.buildArgs ?? {}, modes: header.modes === 'as-is' ? 'as-is' : 'canonical'}, entries}
}
