/**
 * The I/O side of explain and of the manifest writers: reads the build's inputs from disk and the
 * facts only the work tree can tell (CRLF-only changes, what .gitattributes pins).
 */
import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {compareCodeUnits} from '../compare.js'
import {gitOutput} from '../git.js'
import type {ContextDigest} from '../stage/digest.js'
import {canonicalMode, digestContext, walkContext} from '../stage/index.js'
import {entryPath} from '../stage/walk.js'
import type {ModeProblem} from './format.js'
import {type CurrentFacts, type ExplainReport, explainManifests} from './compare-manifests.js'
import {type BuildInputs, type Manifest, buildManifest, readManifest, sha256Hex} from './manifest.js'

export interface ManifestSources {
  /** The real context directory. */
  context: string
  /** Absolute Dockerfile path, when there is a local Dockerfile. */
  dockerfile?: string
  /** The .dockerignore that applied. */
  ignoreFile?: string
  buildArgs?: Record<string, string>
  platform?: string
  target?: string
  /** The context is sent unstaged: its digest has the modes as they are. */
  modesAsIs?: boolean
}

function readText(file: string | undefined): string | undefined {
  if (file === undefined) return undefined
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}

/** A path as the manifest names it: relative to the context when inside it. */
function shownPath(context: string, file: string): string {
  const rel = path.relative(context, file)
  return rel.startsWith('..') || path.isAbsolute(rel) ? file : rel
}

/** The manifest of a context digest with the build inputs read from disk. */
export function manifestFor(digest: ContextDigest, sources: ManifestSources): Manifest {
  const dockerfileText = readText(sources.dockerfile)
  const ignoreText = readText(sources.ignoreFile)
  const inputs: BuildInputs = {
    ...(dockerfileText !== undefined && sources.dockerfile
      ? {dockerfile: {path: shownPath(sources.context, sources.dockerfile), text: dockerfileText}}
      : {}),
    ...(ignoreText !== undefined && sources.ignoreFile
      ? {dockerignore: {path: shownPath(sources.context, sources.ignoreFile), text: ignoreText}}
      : {}),
    ...(sources.buildArgs ? {buildArgs: sources.buildArgs} : {}),
    ...(sources.platform ? {platform: sources.platform} : {}),
    ...(sources.target ? {target: sources.target} : {}),
    ...(sources.modesAsIs ? {modesAsIs: true} : {}),
  }
  return buildManifest(digest, inputs)
}

/** Paths (of `candidates`, context-relative) whose content with CRLF turned into LF has the recorded sha256. */
export function crlfOnlyChanges(context: string, candidates: Array<{path: string; sha256: string}>): string[] {
  const found: string[] = []
  for (const candidate of candidates) {
    let bytes: Buffer
    try {
      bytes = readFileSync(entryPath(context, candidate.path))
    } catch {
      continue
    }
    if (!bytes.includes('\r\n')) continue
    if (sha256Hex(Buffer.from(bytes.toString('latin1').replaceAll('\r\n', '\n'), 'latin1')) === candidate.sha256) found.push(candidate.path)
  }
  return found
}

/**
 * Of `files` (absolute), those whose line endings .gitattributes pins: `eol` set, or `text` unset
 * (binary, never converted). Outside a git work tree nothing is pinned.
 */
export async function eolPinned(files: string[]): Promise<Set<string>> {
  const pinned = new Set<string>()
  if (files.length === 0) return pinned
  const output = await gitOutput(path.dirname(files[0] as string), ['check-attr', '-z', 'eol', 'text', '--', ...files])
  if (output === undefined) return pinned
  const fields = output.split('\0')
  for (let i = 0; i + 2 < fields.length; i += 3) {
    const [file, attribute, value] = [fields[i] as string, fields[i + 1], fields[i + 2]]
    if ((attribute === 'eol' && (value === 'lf' || value === 'crlf')) || (attribute === 'text' && value === 'unset'))
      pinned.add(path.resolve(path.dirname(files[0] as string), file))
  }
  return pinned
}

export interface ExplainRequest {
  manifest: string
  /** The manifest already read (from a registry); `manifest` is then only its name. */
  loaded?: Manifest
  context: string
  /** Absolute; CONTEXT/Dockerfile by default. */
  dockerfile?: string
  /** Given now; undefined when none were given (then they are not compared). */
  buildArgs?: Record<string, string>
  platform?: string
  target?: string
  env?: NodeJS.ProcessEnv
}

/** Reads the manifest, digests the context as it is now and compares the two (see explainManifests). */
export async function explainContext(request: ExplainRequest): Promise<{report: ExplainReport; dockerfile: string}> {
  const before = request.loaded ?? readManifest(request.manifest)
  const dockerfile = request.dockerfile ?? path.join(path.resolve(request.context), 'Dockerfile')
  const hasDockerfile = existsSync(dockerfile)
  // a manifest of an unstaged build is compared with the context as it is, modes and all
  const asIs = before.header.modes === 'as-is'
  const walked = digestContext(request.context, hasDockerfile ? dockerfile : undefined, request.env, asIs)
  const now = manifestFor(walked.digest, {
    context: walked.context,
    ...(hasDockerfile ? {dockerfile} : {}),
    ...(walked.ignoreFile ? {ignoreFile: walked.ignoreFile} : {}),
    ...(request.buildArgs ? {buildArgs: request.buildArgs} : {}),
    // what the manifest's build used, unless told otherwise: a manifest from CI is compared with the same build
    ...((request.platform ?? before.header.platform) ? {platform: request.platform ?? (before.header.platform as string)} : {}),
    ...((request.target ?? before.header.target) ? {target: request.target ?? (before.header.target as string)} : {}),
    modesAsIs: asIs,
  })
  const recorded = new Map(before.entries.map((entry) => [entry.path, entry]))
  const candidates = now.entries.flatMap((entry) => {
    const old = recorded.get(entry.path)
    return entry.type === 'file' && old?.type === 'file' && old.sha256 && old.sha256 !== entry.sha256
      ? [{path: entry.path, sha256: old.sha256}]
      : []
  })
  const crlf = crlfOnlyChanges(walked.context, candidates)
  const pinned = await eolPinned([...crlf.map((rel) => entryPath(walked.context, rel)), ...(hasDockerfile ? [dockerfile] : [])])
  const facts: CurrentFacts = {
    crlfOnly: new Set(crlf.filter((rel) => !pinned.has(entryPath(walked.context, rel)))),
    dockerfileEolPinned: pinned.has(dockerfile),
    ...(request.buildArgs ? {buildArgs: request.buildArgs} : {}),
  }
  return {report: explainManifests(before, now, facts), dockerfile: path.relative(process.cwd(), dockerfile) || dockerfile}
}

/** Paths BuildKit would be sent whose mode is not canonical: what makes plain buildx miss across machines. */
export function modeProblems(context: string, dockerfile?: string): {context: string; problems: ModeProblem[]} {
  const walked = walkContext(context, dockerfile !== undefined && existsSync(dockerfile) ? dockerfile : undefined)
  const problems: ModeProblem[] = []
  for (const entry of walked.entries) {
    if (entry.kind !== 'file' && entry.kind !== 'dir') continue
    const want = canonicalMode(entry)
    if (entry.mode !== want)
      problems.push({
        path: entry.rel === '' ? '.' : entry.rel,
        type: entry.kind,
        mode: entry.mode.toString(8).padStart(4, '0'),
        want: want.toString(8).padStart(4, '0'),
      })
  }
  problems.sort((a, b) => compareCodeUnits(a.path, b.path))
  return {context: walked.context, problems}
}
