/**
 * `dbuild build`: argv → config → stage → rewrite → cache lists → the docker command.
 * planBuild does everything but the build, so --dry-run and the tests see the exact command.
 */
import {createHash} from 'node:crypto'
import {copyFileSync, existsSync, readFileSync, rmSync, statSync} from 'node:fs'
import path from 'node:path'

import {type FlagUse, type ParsedBuildArgv, parseBuildArgv} from '../buildx/argv.js'
import {checkBuildx} from '../buildx/check.js'
import {shellCommand} from '../buildx/quote.js'
import {type StreamedRun, streamDocker} from '../buildx/run.js'
import {sourceKind} from '../buildx/sources.js'
import {cacheLists, isCI, placeholderValues} from '../cache/index.js'
import {type LoadedConfig, findConfig, loadConfigFile} from '../config.js'
import {DbuildError, ExitCode} from '../exit-codes.js'
import {workTreeTop} from '../git.js'
import {prepareContext, stageRootFor} from '../stage/index.js'
import {writeFileAtomic} from '../write-atomic.js'

/** What the rewrite step needs; the command passes the rule engine in (src/build does not import rules). */
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

/** How the main context reaches buildx. */
export type ContextPath = 'staged' | 'canonical' | 'unstaged' | 'remote'

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
}

interface Dockerfile {
  /** Absolute path of a local Dockerfile; undefined for `-f -` or a remote context's own Dockerfile. */
  file?: string
}

function resolveDockerfile(parsed: ParsedBuildArgv, cwd: string, contextDir: string | undefined): Dockerfile {
  if (parsed.dockerfile === '-') return {}
  // buildx reads a relative -f from the working directory, not from the context
  if (parsed.dockerfile !== undefined) return contextDir === undefined ? {} : {file: path.resolve(cwd, parsed.dockerfile)}
  return contextDir === undefined ? {} : {file: path.join(contextDir, 'Dockerfile')}
}

function localDir(source: string, cwd: string, what: string): string {
  const dir = path.resolve(cwd, source)
  let isDir = false
  try {
    isDir = statSync(dir).isDirectory()
  } catch {
    throw new DbuildError(`${source}: ${what} not found`, ExitCode.NO_INPUT)
  }
  if (!isDir) throw new DbuildError(`${source}: ${what} is not a directory`, ExitCode.NO_INPUT)
  return dir
}

async function loadConfig(parsed: ParsedBuildArgv, cwd: string, startDir: string, env: NodeJS.ProcessEnv): Promise<LoadedConfig> {
  if (parsed.own.config !== undefined) return loadConfigFile(path.resolve(cwd, parsed.own.config))
  return findConfig(startDir, await workTreeTop(startDir, env))
}

interface StagedDir {
  dir: string
  /** The per-context dbuild directory (for the Dockerfile copy). */
  root: string
  path: 'staged' | 'canonical'
  summary: string
}

async function stageDir(source: string, dockerfile: string | undefined, env: NodeJS.ProcessEnv, warn: (message: string) => void): Promise<StagedDir> {
  const prepared = await prepareContext({context: source, ...(dockerfile ? {dockerfile} : {}), env, onWarning: warn})
  if (prepared.canonical) {
    return {dir: source, root: prepared.root, path: 'canonical', summary: `context already canonical: building from ${source} directly`}
  }
  const staged = prepared.stage
  return {dir: staged.dir, root: staged.root, path: 'staged', summary: `context staged: ${staged.dir} (${staged.files} files, ${staged.changed} written, ${staged.removed} removed)`}
}

/**
 * The Dockerfile copy buildx gets: `<root>/dockerfile-<hash of the original path>/Dockerfile`, with
 * the original's `<Dockerfile>.dockerignore` beside it so buildx applies the same ignore file.
 */
function writeDockerfileCopy(root: string, original: string, text: string): string {
  const key = createHash('sha256').update(original).digest('hex').slice(0, 12)
  const copy = path.join(root, `dockerfile-${key}`, 'Dockerfile')
  // atomically: concurrent builds of one context never read half a Dockerfile
  writeFileAtomic(copy, text)
  const ignore = `${original}.dockerignore`
  if (existsSync(ignore)) copyFileSync(ignore, `${copy}.dockerignore`)
  else rmSync(`${copy}.dockerignore`, {force: true})
  return copy
}

/** The final buildx argv: user flags in order, -f and local build contexts replaced, the cache lists, the context last. */
export function assembleArgs(
  uses: readonly FlagUse[],
  replace: {dockerfile?: string; buildContexts: Map<string, string>; cacheFrom: readonly string[]; cacheTo: readonly string[]; context: string},
): string[] {
  const args = ['buildx', 'build']
  const lastFile = replace.dockerfile === undefined ? -1 : uses.findLastIndex((use) => use.flag?.long === 'file')
  uses.forEach((use, index) => {
    switch (use.flag?.long) {
      case 'file':
        if (replace.dockerfile === undefined) args.push(...use.tokens)
        else if (index === lastFile) args.push('--file', replace.dockerfile)
        return
      case 'cache-from':
        return // re-added below, merged with the config's list
      case 'build-context': {
        const name = (use.value ?? '').split('=')[0] as string
        const local = replace.buildContexts.get(name)
        if (local === undefined) args.push(...use.tokens)
        else args.push('--build-context', `${name}=${local}`)
        return
      }
      default:
        args.push(...use.tokens)
    }
  })
  if (replace.dockerfile !== undefined && lastFile === -1) args.push('--file', replace.dockerfile)
  for (const spec of replace.cacheFrom) args.push('--cache-from', spec)
  for (const spec of replace.cacheTo) args.push('--cache-to', spec)
  // a context that looks like a flag must follow `--`
  if (replace.context.startsWith('-') && replace.context !== '-') args.push('--')
  args.push(replace.context)
  return args
}

export function isSilent(parsed: ParsedBuildArgv): boolean {
  return parsed.quiet || parsed.progress === 'quiet' || parsed.progress === 'rawjson'
}

/** Parses, stages, rewrites and assembles; builds nothing. */
export async function planBuild(options: BuildPlanOptions): Promise<BuildPlan> {
  const cwd = options.cwd ?? process.cwd()
  const env = options.env ?? process.env
  const step = options.onStep ?? (() => {})
  const parsed = options.parsed ?? parseBuildArgv(options.argv, env)
  const notes: string[] = []
  const warnings = [...parsed.warnings]
  const warn = (message: string) => warnings.push(message)

  const kind = sourceKind(parsed.context)
  const contextDir = kind === 'local' ? localDir(parsed.context, cwd, 'build context') : undefined
  const dockerfile = resolveDockerfile(parsed, cwd, contextDir)
  if (dockerfile.file !== undefined && !existsSync(dockerfile.file)) throw new DbuildError(`${dockerfile.file}: Dockerfile not found`, ExitCode.NO_INPUT)
  const loaded = await loadConfig(parsed, cwd, contextDir ?? cwd, env)

  // main context
  let contextPath: ContextPath
  let context = parsed.context
  let root: string | undefined
  if (contextDir === undefined) {
    contextPath = 'remote'
    notes.push(`context ${parsed.context} is ${kind === 'stdin' ? 'stdin' : 'remote'}: passed to buildx untouched`)
  } else if (parsed.own.noStage) {
    contextPath = 'unstaged'
    context = contextDir
    root = stageRootFor(contextDir, dockerfile.file, env)
    notes.push(`--no-stage: building from ${contextDir} as it is`)
  } else {
    step(`staging ${parsed.context}`)
    const staged = await stageDir(contextDir, dockerfile.file, env, warn)
    contextPath = staged.path
    context = staged.dir
    root = staged.root
    notes.push(staged.summary)
  }

  // named build contexts
  const buildContexts = new Map<string, string>()
  for (const named of parsed.buildContexts) {
    const namedKind = sourceKind(named.source)
    if (namedKind !== 'local') {
      notes.push(`build context ${named.name}=${named.source} is ${namedKind === 'image' ? 'an image' : 'remote'}: passed to buildx untouched`)
      continue
    }
    const dir = localDir(named.source, cwd, `build context ${named.name}`)
    if (parsed.own.noStage) continue
    step(`staging build context ${named.name}`)
    const staged = await stageDir(dir, undefined, env, warn)
    buildContexts.set(named.name, staged.dir)
    notes.push(`build context ${named.name}: ${staged.summary}`)
  }

  // Dockerfile: a (rewritten) copy beside the stage whenever the context is staged or rewriting is on
  let dockerfileCopy: string | undefined
  const rewriting = options.rewrite !== undefined && !parsed.own.noRewrite
  if (dockerfile.file !== undefined && root !== undefined && (contextPath !== 'unstaged' || rewriting)) {
    let text = readFileSync(dockerfile.file, 'utf8')
    if (rewriting && options.rewrite) {
      step(`rewriting ${path.relative(cwd, dockerfile.file) || dockerfile.file}`)
      const result = await options.rewrite({
        text,
        file: dockerfile.file,
        config: loaded.config,
        ...(loaded.path ? {configPath: loaded.path} : {}),
        buildArgs: parsed.buildArgs,
        ...(parsed.target === undefined ? {} : {target: parsed.target}),
        ...(parsed.platforms.length > 0 ? {platform: parsed.platforms.join(',')} : {}),
        docker: {
          contextDir: context,
          env,
          ...(parsed.builder === undefined ? {} : {builder: parsed.builder}),
          ...(parsed.network === undefined ? {} : {network: parsed.network}),
        },
      })
      text = result.text
      notes.push(...result.messages)
      if (!result.changed) notes.push('Dockerfile: nothing to rewrite')
    } else if (parsed.own.noRewrite) {
      notes.push('--no-rewrite: Dockerfile used as it is')
    }
    dockerfileCopy = writeDockerfileCopy(root, dockerfile.file, text)
  } else if (dockerfile.file === undefined && parsed.dockerfile === '-') {
    notes.push('Dockerfile from stdin: passed to buildx untouched')
  }

  // cache lists
  const configSpecs = [...(loaded.config.cacheFrom ?? []), ...(loaded.config.cacheTo ?? [])]
  const placeholders = await placeholderValues(configSpecs, contextDir ?? cwd, {env, ...(loaded.config.defaultBranch ? {defaultBranch: loaded.config.defaultBranch} : {})})
  notes.push(...placeholders.notes)
  const caches = cacheLists({
    configCacheFrom: loaded.config.cacheFrom,
    configCacheTo: loaded.config.cacheTo,
    userCacheFrom: parsed.cacheFrom,
    userCacheTo: parsed.cacheTo,
    values: placeholders.values,
    exportCache: parsed.own.exportCache || isCI(env),
    ...(loaded.path ? {configPath: loaded.path} : {}),
  })
  notes.push(...caches.notes)

  const args = assembleArgs(parsed.uses, {
    ...(dockerfileCopy === undefined ? {} : {dockerfile: dockerfileCopy}),
    buildContexts,
    cacheFrom: caches.cacheFrom,
    cacheTo: caches.cacheTo,
    context,
  })
  return {
    parsed,
    args,
    command: shellCommand(['docker', ...args]),
    contextPath,
    context,
    ...(dockerfileCopy === undefined ? {} : {dockerfile: dockerfileCopy}),
    notes,
    warnings,
    silent: isSilent(parsed),
  }
}

/**
 * Runs the planned build with the terminal; signals reach buildx. `ready` is the docker/buildx
 * check (checkBuildx), started before planning so that it overlaps staging.
 */
export async function runBuild(plan: BuildPlan, options: {env?: NodeJS.ProcessEnv; cwd?: string; ready?: Promise<unknown>} = {}): Promise<StreamedRun> {
  const env = options.env ?? process.env
  await (options.ready ?? checkBuildx(env))
  return streamDocker(plan.args, {env, ...(options.cwd ? {cwd: options.cwd} : {})})
}
