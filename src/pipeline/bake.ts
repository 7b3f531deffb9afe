/**
 * `dbuild bake`: the definition is resolved by `docker buildx bake --print` (same files, flags,
 * --set and environment), then every target goes through the build's steps (resolve inputs →
 * config → stage → rewrite → cache lists) and bake runs the resulting definition. planBake builds
 * nothing, so --print, --dry-run and the tests see exactly what would run.
 */
import {createHash} from 'node:crypto'
import path from 'node:path'

import {type FlagUse, parseBool, type SplitArgv, splitArgv, UnknownFlagError} from '../buildx/argv.js'
import {BAKE_TABLE, DEFINITION_FLAGS} from '../buildx/bake-flags.js'
import {shellCommand} from '../buildx/quote.js'
import {type CapturedRun, runDocker} from '../buildx/run.js'
import {sourceKind} from '../buildx/sources.js'
import {readAllStdin} from '../buildx/stdin.js'
import {isCI} from '../ci.js'
import {dbuildCacheDir} from '../cache-dir.js'
import {configLines} from '../config.js'
import {older} from '../version.js'
import {writeFileAtomic} from '../write-atomic.js'
import {removeStale, tempRoot, usedTempRoot} from './scratch.js'
import {overrideGrants} from './bake-grants.js'
import {resolveCacheLists} from './cache.js'
import {type Inputs, loadInputConfig, resolveInputs} from './inputs.js'
import {bakeManifestDir, bakeManifestFile, canAnnotate, digestAnnotation, writeContextManifest} from './manifest.js'
import {localOrRemote} from './plan.js'
import {outputPushes, registryCacheRefs} from './publish.js'
import {prepareDockerfile, type RewriteStep} from './rewrite.js'
import {type StageMemo, stageMainContext, stageNamedContexts, type StepEvents} from './stage.js'

/** A cache entry as `bake --print` writes it: a CSV string (buildx < 0.18) or an object of its keys. */
export type CacheEntry = string | Record<string, unknown>

/** The keys of a resolved target that dbuild reads or replaces; every other key is kept as printed. */
export interface BakeTarget {
  context?: string
  contexts?: Record<string, string>
  dockerfile?: string
  'dockerfile-inline'?: string
  args?: Record<string, string | null>
  target?: string
  platforms?: string[]
  network?: string
  'cache-from'?: CacheEntry[]
  'cache-to'?: CacheEntry[]
  annotations?: string[]
  [key: string]: unknown
}

export interface BakeDefinition {
  group?: Record<string, {targets?: string[]}>
  target?: Record<string, BakeTarget>
  [key: string]: unknown
}

/** buildx learnt `--allow fs.read=PATH` for bake in 0.19 (a warning there, an error from 0.20 on). */
export const BAKE_FS_ENTITLEMENTS = [0, 19, 0] as const

/** buildx grants by itself what `--set` overrides name from 0.20 on (0.19 only warned); see bake-grants.ts. */
export const BAKE_OVERRIDE_GRANTS = [0, 20, 0] as const

export interface BakePlanOptions {
  argv: readonly string[]
  cwd?: string
  env?: NodeJS.ProcessEnv
  rewrite?: RewriteStep
  onStep?: (text: string) => void
  /** The installed buildx version: `--allow fs.read` is added only where it is understood. */
  buildxVersion?: readonly [number, number, number]
  /** For a buildx whose version is unknown (v0.0.0+unknown), what its help lists instead. */
  buildxHelp?: {annotation: boolean; bakeAllow: boolean}
  /** Runs `docker ARGS` captured; runDocker by default (the tests see the same command). */
  docker?: (args: string[], options: {cwd: string; env: NodeJS.ProcessEnv; input?: Uint8Array}) => Promise<CapturedRun>
  /** Reads the definition `--file -` names (standard input, read once); process.stdin by default. */
  stdin?: () => Promise<Uint8Array>
}

export type BakePlan =
  /** What will run: `docker` + args, from the generated definition. */
  | {
      kind: 'plan'
      split: SplitArgv
      args: string[]
      command: string
      /** The definition bake runs, written to `definitionFile`. */
      definition: BakeDefinition
      definitionFile: string
      /** `--print` was given: show the definition, build nothing. */
      print: boolean
      notes: string[]
      warnings: string[]
      silent: boolean
      /** The targets whose manifests go to the registry after bake. */
      publishes: BakePublish[]
    }
  /** Nothing for dbuild to do (--list, a remote definition): the command as given goes to buildx. */
  | {kind: 'passthrough'; split: SplitArgv; args: string[]; command: string; notes: string[]; warnings: string[]; silent: boolean}
  /** `bake --print` failed (bad HCL, unknown target, unknown flag): buildx's message and exit code, passed through, and dbuild's hints. */
  | {kind: 'failed'; split: SplitArgv; exitCode: number; stderr: string; hints: string[]; silent: boolean}

const flagOf = (use: FlagUse) => use.flag?.long

/** The argv without dbuild's --print handling: what bake itself is given. */
function bakeTokens(uses: readonly FlagUse[]): string[] {
  return uses.filter((use) => flagOf(use) !== 'print').flatMap((use) => use.tokens)
}

/** Targets (and a remote definition) after the flags; `--` keeps one that starts with a dash. */
function positionalTokens(positionals: readonly string[]): string[] {
  return positionals.some((word) => word.startsWith('-')) ? ['--', ...positionals] : [...positionals]
}

/** A printed cache entry as the CSV string bake files accept in every buildx version. */
export function cacheEntryText(entry: CacheEntry): string {
  if (typeof entry === 'string') return entry
  return Object.entries(entry)
    .map(([key, value]) => {
      const text = `${key}=${String(value)}`
      // csv: a field with a comma or a quote is quoted, quotes doubled
      return /[",]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
    })
    .join(',')
}

function stringArgs(args: BakeTarget['args']): Record<string, string> {
  return Object.fromEntries(Object.entries(args ?? {}).filter((entry): entry is [string, string] => typeof entry[1] === 'string'))
}

interface TargetOutcome {
  target: BakeTarget
  notes: string[]
  publish?: BakePublish
}

/** A target whose build pushes: its manifest goes to the registry after bake (publish.ts). */
export interface BakePublish {
  target: string
  manifestFile: string
  contextDigest: string
  imagePushed: boolean
  cacheRefs: string[]
}

/** Whether a printed target pushes its image: bake's --push, or an output of type registry or image with push=true. */
function targetPushesImage(target: BakeTarget, pushFlag: boolean): boolean {
  const outputs = Array.isArray(target.output) ? (target.output as unknown[]) : []
  return (
    pushFlag ||
    outputs.some((output) => outputPushes(typeof output === 'string' ? output : cacheEntryText(output as Record<string, unknown>)))
  )
}

interface TargetContext {
  cwd: string
  env: NodeJS.ProcessEnv
  split: SplitArgv
  builder?: string
  rewrite?: RewriteStep
  events: StepEvents
  memo: StageMemo
  /** Each target's manifest is written: --manifest DIR (this directory) or CI (beside its stage). */
  manifests: {dir?: string} | undefined
  /** The installed buildx can put the context digest on the image as an annotation (as build does). */
  annotate: boolean
  /** bake's --push. */
  push: boolean
  /** A manifest was asked for (--manifest DIR, CI): only then is the image annotated, not for a push alone. */
  asked: boolean
}

/** One target through the build's steps; what cannot be staged or rewritten is kept as printed, with a note. */
async function planTarget(name: string, printed: BakeTarget, run: TargetContext): Promise<TargetOutcome> {
  const {own} = run.split
  const notes: string[] = []
  const target: BakeTarget = {...printed}
  let written: ReturnType<typeof writeContextManifest>
  const context = printed.context ?? '.'
  const inline = printed['dockerfile-inline'] !== undefined
  const local = sourceKind(context) === 'local'
  // bake reads a relative dockerfile from the context, not from the working directory
  const dockerfile = !local || inline ? undefined : path.resolve(run.cwd, context, printed.dockerfile ?? 'Dockerfile')
  let inputs: Inputs = resolveInputs({context, ...(dockerfile ? {dockerfile} : {}), cwd: run.cwd, env: run.env, needsDockerfile: !inline})
  // an inline Dockerfile: buildx applies the context's own .dockerignore
  if (inline) inputs = {...inputs, dockerfile: undefined, ignoreFile: undefined}
  const loaded = await loadInputConfig(inputs, own.config)
  const config = configLines(loaded)
  notes.push(config.note)
  if (config.warning) run.events.warn(config.warning)

  const main = await stageMainContext(inputs, own.noStage, run.events, run.manifests !== undefined, run.memo)
  notes.push(main.note)
  if (run.manifests && main.root !== undefined) {
    const file = bakeManifestFile(run.manifests.dir, main.root, name)
    const request = {
      file,
      explicit: run.manifests.dir !== undefined,
      buildArgs: stringArgs(printed.args),
      platforms: printed.platforms ?? [],
    }
    written = writeContextManifest(
      {...request, ...(printed.target === undefined ? {} : {target: printed.target})},
      inputs,
      main,
      run.events.warn,
    )
    if (written) notes.push(written.note)
    // first, as build puts its --annotation first: an annotation of the target's own with that key wins
    if (written && run.annotate && run.asked) target.annotations = [digestAnnotation(written.digest), ...(printed.annotations ?? [])]
  } else if (run.manifests?.dir !== undefined) notes.push(`no manifest: the context ${context} is not a local directory`)
  if (inputs.contextDir !== undefined) target.context = main.context

  const named = await stageNamedContexts(
    Object.entries(printed.contexts ?? {}).map(([contextName, source]) => ({name: contextName, source})),
    inputs,
    own.noStage,
    run.events,
    run.memo,
  )
  notes.push(...named.notes)
  if (named.replaced.size > 0) target.contexts = {...printed.contexts, ...Object.fromEntries(named.replaced)}
  // the probe builds see the named contexts as buildx will (another target is not one a probe can build)
  const probeContexts = Object.entries(printed.contexts ?? {})
    .filter(([, source]) => !source.startsWith('target:'))
    .map(([contextName, source]) => [contextName, named.replaced.get(contextName) ?? localOrRemote(source, run.cwd)])

  if (inline) notes.push('dockerfile-inline: passed to buildx untouched')
  else {
    const prepared = await prepareDockerfile({
      inputs,
      main,
      loaded,
      settings: {
        buildArgs: stringArgs(printed.args),
        ...(printed.target === undefined ? {} : {target: printed.target}),
        platforms: printed.platforms ?? [],
        ...(run.builder === undefined ? {} : {builder: run.builder}),
        ...(printed.network === undefined ? {} : {network: printed.network}),
      },
      buildContexts: Object.fromEntries(probeContexts),
      contextNames: Object.keys(printed.contexts ?? {}),
      ...(run.rewrite ? {rewrite: run.rewrite} : {}),
      noRewrite: own.noRewrite,
      ...(own.plugins === undefined ? {} : {plugins: own.plugins}),
      events: run.events,
    })
    notes.push(...prepared.notes)
    if (prepared.copy !== undefined) target.dockerfile = prepared.copy
    if (Object.keys(prepared.buildArgs).length > 0) target.args = {...printed.args, ...prepared.buildArgs}
  }

  const userCacheTo = (printed['cache-to'] ?? []).map(cacheEntryText)
  const caches = await resolveCacheLists({
    loaded,
    dir: inputs.contextDir ?? run.cwd,
    env: run.env,
    userCacheFrom: (printed['cache-from'] ?? []).map(cacheEntryText),
    userCacheTo,
    exportCache: own.exportCache,
  })
  notes.push(...caches.notes)
  if (caches.cacheFrom.length > 0) target['cache-from'] = caches.cacheFrom
  if (caches.cacheTo.length > 0) target['cache-to'] = [...userCacheTo, ...caches.cacheTo]
  const imagePushed = targetPushesImage(printed, run.push)
  const cacheRefs = registryCacheRefs([...userCacheTo, ...caches.cacheTo])
  const publish =
    written?.file && (imagePushed || cacheRefs.length > 0)
      ? {target: name, manifestFile: written.file, contextDigest: written.digest, imagePushed, cacheRefs}
      : undefined
  return {target, notes: notes.map((note) => `target ${name}: ${note}`), ...(publish ? {publish} : {})}
}

/**
 * "Did you mean" for the flags bake was given that neither dbuild nor its bake table knows, worded as
 * build words them (UnknownFlagError). bake passes such a flag on (a newer buildx may know it), so
 * these are said only once buildx has refused the command line.
 */
function flagHints(split: SplitArgv): string[] {
  return split.uses
    .filter((use) => use.flag === undefined && use.tokens[0]?.startsWith('--'))
    .map((use) => new UnknownFlagError(`--${use.name}`, BAKE_TABLE).message)
    .filter((message) => message.includes('did you mean'))
}

/** Where the generated definition goes: one file per working directory and command line, rewritten atomically. */
const DEFINITION_NAME = /^[0-9a-f]{16}\.json$/

/**
 * Writes the definition bake runs, named by its content: concurrent bakes whose definitions differ
 * (other variables in their environments) never run each other's. Where dbuild's cache cannot take
 * it (a full or read-only cache), it goes to a temp directory of this process; plain bake needs no
 * file of its own, so that is never a reason to fail.
 */
function writeDefinition(text: string, env: NodeJS.ProcessEnv, warn: (message: string) => void): string {
  const name = `${createHash('sha256').update(text).digest('hex').slice(0, 16)}.json`
  const dir = path.join(dbuildCacheDir(env), 'bake')
  try {
    writeFileAtomic(path.join(dir, name), text)
    removeStale(dir, DEFINITION_NAME, name)
    return path.join(dir, name)
  } catch (error) {
    const file = path.join(tempRoot(), name)
    writeFileAtomic(file, text)
    warn(
      `${dir}: cannot write the definition bake runs (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); it goes to buildx from ${file} instead, removed when dbuild exits`,
    )
    return file
  }
}

/** Resolves, stages, rewrites and assembles; builds nothing. */
export async function planBake(options: BakePlanOptions): Promise<BakePlan> {
  const cwd = options.cwd ?? process.cwd()
  const env = options.env ?? process.env
  const docker = options.docker ?? ((args, runOptions) => runDocker(args, runOptions))
  const split = splitArgv(options.argv, BAKE_TABLE)
  const warnings = [...split.warnings]
  const events: StepEvents = {step: options.onStep ?? (() => {}), warn: (message) => warnings.push(message)}
  const last = (long: string) => split.uses.findLast((use) => flagOf(use) === long)?.value
  const progress = last('progress')
  const silent = progress === 'quiet' || progress === 'rawjson'
  const given = ['buildx', 'bake', ...bakeTokens(split.uses), ...positionalTokens(split.positionals)]

  const [first] = split.positionals
  const remote = first !== undefined && sourceKind(first) !== 'local'
  if (remote || split.uses.some((use) => flagOf(use) === 'list')) {
    const why = remote ? `the definition ${first} is remote` : '--list builds nothing'
    const notes = [
      `${why}: passed to buildx untouched`,
      ...(split.own.manifest === undefined ? [] : ['no manifest written: dbuild reads no context here']),
    ]
    return {kind: 'passthrough', split, args: given, command: shellCommand(['docker', ...given]), notes, warnings, silent}
  }

  const manifestDir = bakeManifestDir(split.own.manifest, cwd)

  events.step('resolving the bake definition')
  // `--file -`: the definition is on stdin. It is read here once and given to --print; the bake that
  // builds reads the resolved definition from a file, so it needs stdin no more.
  const fromStdin = split.uses.some((use) => flagOf(use) === 'file' && use.value === '-')
  const input = fromStdin ? await (options.stdin ?? (() => readAllStdin()))() : undefined
  const printArgs = ['buildx', 'bake', ...bakeTokens(split.uses), '--print', ...positionalTokens(split.positionals)]
  const printed = await docker(printArgs, {cwd, env, ...(input === undefined ? {} : {input})})
  if (printed.exitCode !== 0)
    return {kind: 'failed', split, exitCode: printed.exitCode, stderr: printed.stderr, hints: flagHints(split), silent}
  let definition: BakeDefinition
  try {
    definition = JSON.parse(printed.stdout) as BakeDefinition
  } catch {
    return {
      kind: 'failed',
      split,
      exitCode: 1,
      stderr: `dbuild: docker buildx bake --print did not print JSON:\n${printed.stdout}`,
      hints: [],
      silent,
    }
  }

  const push = split.uses.reduce((value, use) => (flagOf(use) === 'push' ? (parseBool(use.value) ?? value) : value), false)
  // a target that pushes attaches its manifest to what it pushed, so it writes one
  const pushing = Object.values(definition.target ?? {}).some(
    (target) => targetPushesImage(target, push) || registryCacheRefs((target['cache-to'] ?? []).map(cacheEntryText)).length > 0,
  )
  const manifests = manifestDir !== undefined ? {dir: manifestDir} : isCI(env) || pushing ? {} : undefined
  const annotate = options.buildxVersion ? canAnnotate({parts: [...options.buildxVersion]}) : options.buildxHelp?.annotation === true
  const run: TargetContext = {
    cwd,
    env,
    split,
    events,
    memo: new Map(),
    manifests,
    annotate,
    push,
    asked: manifestDir !== undefined || isCI(env),
    ...(options.rewrite ? {rewrite: options.rewrite} : {}),
  }
  const builder = last('builder')
  if (builder !== undefined) run.builder = builder
  const notes: string[] = []
  const targets: Record<string, BakeTarget> = {}
  const publishes: BakePublish[] = []
  for (const [name, target] of Object.entries(definition.target ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const outcome = await planTarget(name, target, run)
    targets[name] = outcome.target
    notes.push(...outcome.notes)
    if (outcome.publish) publishes.push(outcome.publish)
  }
  if (manifests && !annotate && options.buildxVersion)
    notes.push(
      `buildx ${options.buildxVersion.join('.')} cannot annotate images (0.12 or newer can): the context digests are in the manifests only`,
    )
  const generated: BakeDefinition = {...definition, target: targets}
  const definitionFile = writeDefinition(`${JSON.stringify(generated, null, 2)}\n`, env, events.warn)

  // the printed definition already holds what the files, --set, --var and their shorthands say
  const args = ['buildx', 'bake']
  let fileGiven = false
  for (const use of split.uses) {
    const long = flagOf(use)
    if (long === 'print') continue
    if (long !== undefined && DEFINITION_FLAGS.has(long)) {
      if (long === 'file' && !fileGiven) args.push('--file', definitionFile)
      fileGiven ||= long === 'file'
      continue
    }
    args.push(...use.tokens)
  }
  if (!fileGiven) args.push('--file', definitionFile)
  // the stages and Dockerfile copies live outside the working directory, where newer bake asks first
  if (options.buildxVersion ? !older(options.buildxVersion, BAKE_FS_ENTITLEMENTS) : options.buildxHelp?.bakeAllow) {
    args.push('--allow', `fs.read=${dbuildCacheDir(env)}`)
    // Dockerfile copies a full or read-only cache could not take
    const temp = usedTempRoot()
    if (temp !== undefined) args.push('--allow', `fs.read=${temp}`)
  }
  // the --set values are in the generated definition now, no longer overrides: grant what buildx
  // grants an override, or it refuses a path plain `bake --set` may write or read
  if (options.buildxVersion ? !older(options.buildxVersion, BAKE_OVERRIDE_GRANTS) : options.buildxHelp?.bakeAllow) {
    const setValues = split.uses.filter((use) => flagOf(use) === 'set' && use.value !== undefined).map((use) => use.value as string)
    for (const grant of overrideGrants(setValues, definition)) args.push('--allow', grant)
  }
  args.push(...positionalTokens(split.positionals))
  return {
    kind: 'plan',
    split,
    args,
    command: shellCommand(['docker', ...args]),
    definition: generated,
    definitionFile,
    print: split.uses.some((use) => flagOf(use) === 'print'),
    notes,
    warnings,
    silent,
    publishes,
  }
}
