/**
 * `dbuild build` as named steps: resolve inputs → config → stage → rewrite → cache lists → assemble.
 * planBuild does everything but the build, so --dry-run and the tests see the exact command.
 */
import {type ParsedBuildArgv, parseBuildArgv} from '../buildx/argv.js'
import {configLines} from '../config.js'
import {fromWorkingDirectory} from '../working-dir.js'
import {checkBuildx} from '../buildx/check.js'
import {shellCommand} from '../buildx/quote.js'
import {sourceKind} from '../buildx/sources.js'
import {type StreamedRun, streamDocker} from '../buildx/run.js'
import {assembleArgs, isSilent} from './assemble.js'
import {resolveCacheLists} from './cache.js'
import {loadInputConfig, resolveInputs} from './inputs.js'
import {wantsManifest, writeBuildManifest} from './manifest.js'
import {imagePushed, registryCacheRefs} from './publish.js'
import {prepareDockerfile, type RewriteStep} from './rewrite.js'
import {type ContextPath, stageMainContext, stageNamedContexts, type StepEvents} from './stage.js'

export interface BuildPlanOptions {
  argv: readonly string[]
  /** argv already parsed with parseBuildArgv (saves parsing twice). */
  parsed?: ParsedBuildArgv
  cwd?: string
  env?: NodeJS.ProcessEnv
  /** The Dockerfile rewrite; without it the Dockerfile is copied unchanged. */
  rewrite?: RewriteStep
  /** Progress of the slow steps (staging, rewriting), for a spinner. */
  onStep?: (text: string) => void
}

export interface BuildPlan {
  parsed: ParsedBuildArgv
  /** Arguments to `docker`: `buildx build …`. */
  args: string[]
  /** `docker buildx build …` as one shell-quoted line. */
  command: string
  contextPath: ContextPath
  /** The directory or URL buildx gets as its context. */
  context: string
  /** The Dockerfile buildx gets with -f, when dbuild wrote a copy. */
  dockerfile?: string
  notes: string[]
  warnings: string[]
  /** --progress=quiet/rawjson or -q: print nothing of dbuild's own. */
  silent: boolean
  /** The context digest, when a manifest was written (--manifest, CI, or a build that pushes). */
  contextDigest?: string
  /** The manifest file written, when one was, and its context digest. */
  manifestFile?: string
  manifestDigest?: string
  /** Every --cache-to buildx gets: the user's (passed through in their place) and the config's. */
  cacheTo: string[]
}

/** A named context's source as a probe build gets it: a local directory resolved from the working directory, anything else as given. */
export const localOrRemote = (source: string, cwd: string | undefined) =>
  sourceKind(source) === 'local' ? fromWorkingDirectory(source, 'a build context', cwd) : source

/** Parses, stages, rewrites and assembles; builds nothing. */
export async function planBuild(options: BuildPlanOptions): Promise<BuildPlan> {
  const env = options.env ?? process.env
  const parsed = options.parsed ?? parseBuildArgv(options.argv, env)
  const warnings = [...parsed.warnings]
  const events: StepEvents = {step: options.onStep ?? (() => {}), warn: (message) => warnings.push(message)}
  const {own} = parsed

  const inputs = resolveInputs({
    context: parsed.context,
    ...(parsed.dockerfile === undefined ? {} : {dockerfile: parsed.dockerfile}),
    ...(options.cwd === undefined ? {} : {cwd: options.cwd}),
    env,
  })
  const loaded = await loadInputConfig(inputs, own.config)
  const config = configLines(loaded)
  if (config.warning) warnings.push(config.warning)
  // a build that pushes attaches its manifest to what it pushed (publish.ts), so it writes one
  // --export-cache pushes the config's cacheTo outside CI too: the manifest goes with it, as in CI
  const pushes =
    imagePushed(parsed.uses) ||
    registryCacheRefs(parsed.cacheTo).length > 0 ||
    (own.exportCache && (loaded.config.cacheTo?.length ?? 0) > 0)
  const wanted = wantsManifest(parsed, env)
  const main = await stageMainContext(inputs, own.noStage, events, wanted || pushes)
  const manifest = writeBuildManifest(parsed, inputs, main, events.warn)
  const named = await stageNamedContexts(parsed.buildContexts, inputs, own.noStage, events)
  const dockerfile = await prepareDockerfile({
    inputs,
    main,
    loaded,
    settings: parsed,
    buildContexts: Object.fromEntries(
      parsed.buildContexts.map(({name, source}) => [name, named.replaced.get(name) ?? localOrRemote(source, inputs.cwd)]),
    ),
    ...(options.rewrite ? {rewrite: options.rewrite} : {}),
    noRewrite: own.noRewrite,
    ...(own.plugins === undefined ? {} : {plugins: own.plugins}),
    events,
  })
  const caches = await resolveCacheLists({
    loaded,
    // a remote context from a deleted working directory has no config, so nothing is read here
    dir: inputs.contextDir ?? inputs.cwd ?? '/',
    env,
    userCacheFrom: parsed.cacheFrom,
    userCacheTo: parsed.cacheTo,
    exportCache: own.exportCache,
    ...(parsed.builder === undefined ? {} : {builder: parsed.builder}),
    warn: events.warn,
  })
  const args = assembleArgs(parsed.uses, {
    ...(dockerfile.copy === undefined ? {} : {dockerfile: dockerfile.copy}),
    buildContexts: named.replaced,
    buildArgs: dockerfile.buildArgs,
    cacheFrom: caches.cacheFrom,
    cacheTo: caches.cacheTo,
    context: main.context,
  })
  return {
    parsed,
    args,
    command: shellCommand(['docker', ...args]),
    contextPath: main.path,
    context: main.context,
    ...(dockerfile.copy === undefined ? {} : {dockerfile: dockerfile.copy}),
    notes: [config.note, main.note, ...(manifest ? [manifest.note] : []), ...named.notes, ...dockerfile.notes, ...caches.notes],
    warnings,
    silent: isSilent(parsed),
    // the image is annotated only where a manifest was asked for (--manifest, CI), as before pushes published one
    ...(manifest && wanted ? {contextDigest: manifest.digest} : {}),
    ...(manifest?.file ? {manifestFile: manifest.file, manifestDigest: manifest.digest} : {}),
    cacheTo: [...parsed.cacheTo, ...caches.cacheTo],
  }
}

/**
 * Runs the planned build with the terminal; signals reach buildx. `ready` is the docker/buildx
 * check (checkBuildx), started before planning so that it overlaps staging.
 */
export async function runBuild(
  plan: BuildPlan,
  options: {env?: NodeJS.ProcessEnv; cwd?: string; ready?: Promise<unknown>} = {},
): Promise<StreamedRun> {
  const env = options.env ?? process.env
  await (options.ready ?? checkBuildx(env))
  return streamDocker(plan.args, {env, ...(options.cwd ? {cwd: options.cwd} : {})})
}
