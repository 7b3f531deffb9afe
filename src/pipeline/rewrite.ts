/**
 * Pipeline step 4: the Dockerfile buildx gets, a (rewritten) copy beside the stage. The rule engine
 * is passed in as a RewriteStep (see rules.ts), so the pipeline never imports the rules.
 */
import {createHash} from 'node:crypto'
import {readFileSync, rmSync, statSync} from 'node:fs'
import path from 'node:path'

import type {LoadedConfig} from '../config.js'
import {writeFileAtomic} from '../write-atomic.js'
import type {Inputs} from './inputs.js'
import type {MainContext, StepEvents} from './stage.js'

/** What the rewrite step needs. */
export interface RewriteInput {
  text: string
  file: string
  config: LoadedConfig['config']
  configPath?: string
  buildArgs: Record<string, string>
  target?: string
  platform?: string
  /** As the probes get it (src/rewrite's DockerAccess): answers are keyed on every context they read. */
  docker: {contextDir: string; env?: NodeJS.ProcessEnv; builder?: string; network?: string; buildContexts?: Record<string, string>; contextKey?: string}
}

export interface RewriteOutput {
  text: string
  changed: boolean
  /** Human-readable lines about what was changed or found, shown as notes. */
  messages: string[]
}

export type RewriteStep = (input: RewriteInput) => Promise<RewriteOutput>

/**
 * Files buildx reads beside the Dockerfile, by the Dockerfile's name: its ignore file and (buildx
 * ≥ 0.31) its build policy. The copy carries them, or a repository's policy would be silently dropped.
 */
const COMPANION_SUFFIXES = ['.dockerignore', '.rego'] as const

/**
 * The Dockerfile copy buildx gets: `<root>/dockerfile-<hash of the original path>/Dockerfile`, with
 * the original's companions (`<Dockerfile>.dockerignore`, `<Dockerfile>.rego`) beside it so buildx
 * applies the same ignore file and policy. `variant` keeps apart copies of one Dockerfile that are
 * rewritten differently (bake targets with their own build args).
 */
export function writeDockerfileCopy(root: string, original: string, text: string, variant = ''): string {
  const key = createHash('sha256').update(variant ? `${original}\0${variant}` : original).digest('hex').slice(0, 12)
  const copy = path.join(root, `dockerfile-${key}`, 'Dockerfile')
  // atomically: concurrent builds of one context never read half a Dockerfile
  writeFileAtomic(copy, text)
  for (const suffix of COMPANION_SUFFIXES) {
    // buildx passes over a directory of that name; and a concurrent build may be reading the copy
    if (statSync(`${original}${suffix}`, {throwIfNoEntry: false})?.isFile()) writeFileAtomic(`${copy}${suffix}`, readFileSync(`${original}${suffix}`))
    else rmSync(`${copy}${suffix}`, {force: true})
  }
  return copy
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
  /** The rule engine; without it the Dockerfile is copied unchanged. */
  rewrite?: RewriteStep
  noRewrite: boolean
  events: StepEvents
  /** Keeps this copy apart from other copies of the same Dockerfile (a bake target's name). */
  variant?: string
}

export interface DockerfileResult {
  /** The copy buildx gets with -f; undefined when buildx reads the user's Dockerfile (or stdin) itself. */
  copy?: string
  notes: string[]
}

/** A copy whenever the context is staged or rewriting is on: a staged context must not be sent the original's path. */
export async function prepareDockerfile(request: DockerfileRequest): Promise<DockerfileResult> {
  const {inputs, main, loaded, settings} = request
  const notes: string[] = []
  const rewriting = request.rewrite !== undefined && !request.noRewrite
  if (inputs.dockerfile === undefined || main.root === undefined || (main.path === 'unstaged' && !rewriting)) {
    if (inputs.dockerfile === undefined && inputs.dockerfileFromStdin) notes.push('Dockerfile from stdin: passed to buildx untouched')
    return {notes}
  }
  const original = readFileSync(inputs.dockerfile, 'utf8')
  let text = original
  if (rewriting && request.rewrite) {
    request.events.step(`rewriting ${path.relative(inputs.cwd, inputs.dockerfile) || inputs.dockerfile}`)
    const result = await request.rewrite({
      text,
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
    })
    text = result.text
    notes.push(...result.messages)
    if (!result.changed) notes.push('Dockerfile: nothing to rewrite')
  } else if (request.noRewrite) {
    notes.push('--no-rewrite: Dockerfile used as it is')
  }
  try {
    return {copy: writeDockerfileCopy(main.root, inputs.dockerfile, text, request.variant), notes}
  } catch (error) {
    // the context goes as it is and the Dockerfile is unchanged: buildx can read the user's own, so
    // a cache that cannot be written (read-only, full) does not stop a build that needs no stage
    if (main.path !== 'canonical' || text !== original) throw error
    notes.push(`Dockerfile copy not written (${(error as NodeJS.ErrnoException).code ?? String(error)}): buildx reads ${inputs.dockerfile} itself`)
    return {notes}
  }
}
