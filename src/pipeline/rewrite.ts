/**
 * Pipeline step 4: the Dockerfile buildx gets, a (rewritten) copy beside the stage. The rule engine
 * is passed in as a RewriteStep (see rules.ts), so the pipeline never imports the rules.
 */
import {createHash} from 'node:crypto'
import {copyFileSync, existsSync, readFileSync, rmSync} from 'node:fs'
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
  docker: {contextDir: string; env?: NodeJS.ProcessEnv; builder?: string; network?: string}
}

export interface RewriteOutput {
  text: string
  changed: boolean
  /** Human-readable lines about what was changed or found, shown as notes. */
  messages: string[]
}

export type RewriteStep = (input: RewriteInput) => Promise<RewriteOutput>

/**
 * The Dockerfile copy buildx gets: `<root>/dockerfile-<hash of the original path>/Dockerfile`, with
 * the original's `<Dockerfile>.dockerignore` beside it so buildx applies the same ignore file.
 */
export function writeDockerfileCopy(root: string, original: string, text: string): string {
  const key = createHash('sha256').update(original).digest('hex').slice(0, 12)
  const copy = path.join(root, `dockerfile-${key}`, 'Dockerfile')
  // atomically: concurrent builds of one context never read half a Dockerfile
  writeFileAtomic(copy, text)
  const ignore = `${original}.dockerignore`
  if (existsSync(ignore)) copyFileSync(ignore, `${copy}.dockerignore`)
  else rmSync(`${copy}.dockerignore`, {force: true})
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
  /** The rule engine; without it the Dockerfile is copied unchanged. */
  rewrite?: RewriteStep
  noRewrite: boolean
  events: StepEvents
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
  let text = readFileSync(inputs.dockerfile, 'utf8')
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
      },
    })
    text = result.text
    notes.push(...result.messages)
    if (!result.changed) notes.push('Dockerfile: nothing to rewrite')
  } else if (request.noRewrite) {
    notes.push('--no-rewrite: Dockerfile used as it is')
  }
  return {copy: writeDockerfileCopy(main.root, inputs.dockerfile, text), notes}
}
