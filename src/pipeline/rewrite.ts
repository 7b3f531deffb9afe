/**
 * Pipeline step 4: the Dockerfile buildx gets, a (rewritten) copy beside the stage. The rule engine
 * is passed in as a RewriteStep (see rules.ts), so the pipeline never imports the rules.
 */
import {createHash} from 'node:crypto'
import {readFileSync, rmSync, statSync} from 'node:fs'
import path from 'node:path'

import type {LoadedConfig} from '../config.js'
import {DbuildError, ExitCode} from '../exit-codes.js'
import type {DockerAccess} from '../rewrite/types.js'
import {decodeBytes, encodeText} from '../surrogate-escape.js'
import {writeFileAtomic} from '../write-atomic.js'
import type {Inputs} from './inputs.js'
import {removeStale, tempRoot} from './scratch.js'
import type {MainContext, StepEvents} from './stage.js'

/** What the rewrite step needs. */
export interface RewriteInput {
  /** The Dockerfile's bytes, which fixes are spliced into. */
  bytes: Uint8Array
  /** decodeBytes(bytes): the text the rules read, every non-UTF-8 byte kept as an escape. */
  text: string
  file: string
  config: LoadedConfig['config']
  configPath?: string
  buildArgs: Record<string, string>
  target?: string
  platform?: string
  /** As the probes get it: answers are keyed on every context they read. */
  docker: DockerAccess
  /** Every named context's name, those no probe can build (a bake `target:` one) included: no rule takes one for an image. */
  contextNames?: string[]
  /** --plugins / --no-plugins; undefined leaves it to DBUILD_PLUGINS. */
  plugins?: boolean
  warn: (message: string) => void
}

export interface RewriteOutput {
  /** The rewritten bytes; when absent, encodeText(text). */
  bytes?: Uint8Array
  text: string
  changed: boolean
  /** Build args the rules change (name → value buildx gets instead), such as BUILDKIT_SYNTAX through a mirror. */
  buildArgs?: Record<string, string>
  /** Human-readable lines about what was changed or found, shown as notes. */
  messages: string[]
}

export type RewriteStep = (input: RewriteInput) => Promise<RewriteOutput>

/**
 * Files buildx reads beside the Dockerfile, by the Dockerfile's name: its ignore file and (buildx
 * ≥ 0.31) its build policy. The copy carries them, or a repository's policy would be silently dropped.
 */
const COMPANION_SUFFIXES = ['.dockerignore', '.rego'] as const

const COPY_NAME = /^dockerfile-[0-9a-f]{24}$/

/**
 * The Dockerfile copy buildx gets: `<root>/dockerfile-<hash of its bytes and companions>/Dockerfile`,
 * with the original's companions (`<Dockerfile>.dockerignore`, `<Dockerfile>.rego`) beside it so
 * buildx applies the same ignore file and policy. The name is derived from everything in the
 * directory: concurrent builds whose rewrites differ (other build args feeding a rewritten line,
 * another bake target) never write over each other's copy, and identical rewrites share one. A copy
 * that cannot be written (a full or read-only cache) is CANT_CREATE, named.
 */
export function writeDockerfileCopy(root: string, original: string, bytes: Uint8Array): string {
  const companions = COMPANION_SUFFIXES.map((suffix) => {
    // buildx passes over a directory of that name
    const file = `${original}${suffix}`
    return {suffix, content: statSync(file, {throwIfNoEntry: false})?.isFile() ? readFileSync(file) : undefined}
  })
  const hash = createHash('sha256').update(`Dockerfile\0${bytes.length}\0`).update(bytes)
  for (const {suffix, content} of companions)
    hash.update(content === undefined ? `\0${suffix}:none` : `\0${suffix}:${content.length}\0`).update(content ?? '')
  const name = `dockerfile-${hash.digest('hex').slice(0, 24)}`
  const copy = path.join(root, name, 'Dockerfile')
  try {
    // atomically: concurrent builds of one context never read half a Dockerfile
    writeFileAtomic(copy, bytes)
    for (const {suffix, content} of companions) {
      if (content === undefined) rmSync(`${copy}${suffix}`, {force: true})
      else writeFileAtomic(`${copy}${suffix}`, content)
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message
    throw new DbuildError(`${copy}: cannot write the Dockerfile copy: ${code}`, ExitCode.CANT_CREATE, [
      `Free space in ${root} or make it writable, or point DBUILD_CACHE_DIR at a writable directory.`,
    ])
  }
  removeStale(root, COPY_NAME, name)
  return copy
}

/**
 * The copy for buildx, never a failed build where plain buildx builds: beside the stage; where that
 * cannot be written (a full or read-only cache), in a temp directory of this process; where neither
 * can, the user's Dockerfile itself, as plain buildx reads it: without the rewrite, with a warning.
 */
function writeCopyOrFallBack(root: string, original: string, bytes: Uint8Array, changed: boolean, warn: (message: string) => void): string {
  let failure: DbuildError
  try {
    return writeDockerfileCopy(root, original, bytes)
  } catch (error) {
    if (!(error instanceof DbuildError)) throw error
    failure = error
  }
  // nothing changed: the user's Dockerfile is the same bytes, with the same companions beside it
  if (!changed) return original
  try {
    const copy = writeDockerfileCopy(tempRoot(), original, bytes)
    warn(`${failure.message}; the rewritten Dockerfile goes to buildx from ${copy} instead, removed when dbuild exits`)
    return copy
  } catch (error) {
    const reason = error instanceof DbuildError ? error.message : ((error as NodeJS.ErrnoException).code ?? String(error))
    warn(
      `${failure.message}, nor a temp copy (${reason}): buildx reads ${original} as it is, without dbuild's rewrites, as plain buildx would`,
    )
    return original
  }
}

/** How buildx would build, as far as the rules care. */
export interface BuildSettings {
  buildArgs: Record<string, string>
  target?: string
  platforms: readonly string[]
  builder?: string
  network?: string
}

export interface DockerfileRequest {
  inputs: Inputs
  main: MainContext
  loaded: LoadedConfig
  settings: BuildSettings
  /** Named contexts as buildx gets them (staged directories for local ones), for the probe builds. */
  buildContexts?: Record<string, string>
  /** Names of named contexts beyond buildContexts' (a bake target's `target:` contexts). */
  contextNames?: string[]
  /** The rule engine; without it the Dockerfile is copied unchanged. */
  rewrite?: RewriteStep
  noRewrite: boolean
  /** --plugins / --no-plugins, passed to the rewrite step. */
  plugins?: boolean
  events: StepEvents
}

export interface DockerfileResult {
  /** The copy buildx gets with -f; undefined when buildx reads the user's Dockerfile (or stdin) itself. */
  copy?: string
  /** Build args buildx gets another value of (the rewrite step's buildArgs); empty when none. */
  buildArgs: Record<string, string>
  notes: string[]
}

/** A copy whenever the context is staged or rewriting is on: a staged context must not be sent the original's path. */
export async function prepareDockerfile(request: DockerfileRequest): Promise<DockerfileResult> {
  const {inputs, main, loaded, settings} = request
  const notes: string[] = []
  const rewriting = request.rewrite !== undefined && !request.noRewrite
  if (inputs.dockerfile === undefined || main.root === undefined || (main.path === 'unstaged' && !rewriting)) {
    if (inputs.dockerfile === undefined && inputs.dockerfileFromStdin) notes.push('Dockerfile from stdin: passed to buildx untouched')
    return {buildArgs: {}, notes}
  }
  // bytes, not text: a Latin-1 line no rule touched reaches buildx exactly as written
  let bytes: Uint8Array = readFileSync(inputs.dockerfile)
  let changed = false
  let buildArgs: Record<string, string> = {}
  if (rewriting && request.rewrite) {
    request.events.step(
      `rewriting ${(inputs.cwd === undefined ? undefined : path.relative(inputs.cwd, inputs.dockerfile)) || inputs.dockerfile}`,
    )
    const result = await request.rewrite({
      bytes,
      text: decodeBytes(bytes),
      file: inputs.dockerfile,
      config: loaded.config,
      ...(loaded.path ? {configPath: loaded.path} : {}),
      buildArgs: settings.buildArgs,
      ...(settings.target === undefined ? {} : {target: settings.target}),
      ...(settings.platforms.length > 0 ? {platform: settings.platforms.join(',')} : {}),
      docker: {
        contextDir: main.context,
        env: inputs.env,
        ...(settings.builder === undefined ? {} : {builder: settings.builder}),
        ...(settings.network === undefined ? {} : {network: settings.network}),
        ...(request.buildContexts ? {buildContexts: request.buildContexts} : {}),
        // the stage's content digest when it was computed; else the probes hash the tree themselves
        ...(main.digest ? {contextKey: main.digest.digest} : {}),
      },
      ...(request.contextNames ? {contextNames: request.contextNames} : {}),
      ...(request.plugins === undefined ? {} : {plugins: request.plugins}),
      warn: request.events.warn,
    })
    changed = result.changed
    buildArgs = result.buildArgs ?? {}
    if (changed) bytes = result.bytes ?? encodeText(result.text)
    notes.push(...result.messages)
    if (!result.changed && Object.keys(buildArgs).length === 0) notes.push('Dockerfile: nothing to rewrite')
  } else if (request.noRewrite) {
    notes.push('--no-rewrite: Dockerfile used as it is')
  }
  if (main.path !== 'staged' && !changed) {
    // the context is the user's own directory and nothing changed, so buildx can read the user's
    // Dockerfile itself: a copy that cannot be written (full or read-only cache) is no reason to fail
    try {
      return {copy: writeDockerfileCopy(main.root, inputs.dockerfile, bytes), buildArgs, notes}
    } catch (error) {
      if (!(error instanceof DbuildError)) throw error
      request.events.warn(`${error.message}; buildx reads ${inputs.dockerfile} itself, which nothing changed`)
      return {buildArgs, notes}
    }
  }
  return {copy: writeCopyOrFallBack(main.root, inputs.dockerfile, bytes, changed, request.events.warn), buildArgs, notes}
}
