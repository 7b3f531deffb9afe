/**
 * Probe builds: facts from BuildKit that rules need (users and groups at a line, a stage's tree).
 * Each builds an auxiliary target — the Dockerfile cut just before the instruction plus a
 * `dbuild-probe` stage — and caches the answer on disk keyed by a hash of that definition.
 */
import {createHash} from 'node:crypto'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {dbuildCacheDir} from '../cache-dir.js'
import {compareCodeUnits} from '../compare.js'
import {runDocker} from '../buildx/run.js'
import {builderBuildkit, inspectBuilder} from '../buildx/inspect.js'
import {writeFileAtomic} from '../write-atomic.js'

import {sourceKind} from '../buildx/sources.js'

import {variableScopes, type Lookup, expandWord} from './expand.js'
import type {DockerfileModel, InstructionNode} from './parse.js'
import {namedContextOf} from './named-context.js'
import {flag, parseDockerfile, stageByRef} from './parse.js'
import {readTarHeaders} from './tar.js'
import {applyFixes} from './apply.js'
import {encodeText} from '../surrogate-escape.js'
import {
  type Accounts,
  type BuilderFact,
  type DockerAccess,
  type FactError,
  type FactRequest,
  type Facts,
  type Finding,
  isFactError,
  type TreeEntry,
} from './types.js'

export const PROBE_STAGE = 'dbuild-probe'
const CACHE_VERSION = 2
const PROBE_TIMEOUT_MS = 30 * 60 * 1000

export interface ProbeOptions {
  docker: DockerAccess
  buildArgs?: Record<string, string>
  platform?: string
  cacheDir?: string
  /**
   * The findings of the rules that decide where images come from (image-mirror), as the build gets
   * them: their edits are spliced into every probe Dockerfile, so that a probe pulls each image
   * from where the build will (`buildArgs` carry their buildArgFix already).
   */
  imageSources?: Finding[]
}

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(dbuildCacheDir(env), 'probes')
}

/**
 * The Dockerfile up to (not including) `instruction`, with the edits of `imageSources` that lie
 * there (the build's mirrors), followed by the probe stage.
 */
export function probeDockerfile(
  model: DockerfileModel,
  instruction: InstructionNode,
  probeStage: string[],
  imageSources: Finding[] = [],
): string {
  const cut = instruction.range[0]
  // Earlier `COPY --link --chown=<name>` lines fail on the containerd store; without --link they
  // put the same bytes in the same places, and the probe only reads /etc/passwd and /etc/group.
  const unlinked = model.instructions
    .filter((i) => i.index < instruction.index && (i.keyword === 'COPY' || i.keyword === 'ADD'))
    .flatMap((i) => i.flags.filter((f) => f.name === 'link'))
    .map((f): Finding => ({ruleId: 'probe', severity: 'info', message: '', line: 0, fix: [{range: f.range, text: ''}]}))
  const before = imageSources.filter(
    (finding) => finding.fix && finding.fix.length > 0 && finding.fix.every((edit) => edit.range[1] <= cut),
  )
  // the ranges are offsets into the text, so they hold in its head too
  const head = applyFixes(model.text.slice(0, cut), [...unlinked, ...before]).text
  const separator = head === '' || /[\r\n]$/.test(head) ? '' : model.newline
  return head + separator + [`FROM ${probeStage[0]} AS ${PROBE_STAGE}`, ...probeStage.slice(1)].join(model.newline) + model.newline
}

export function accountsProbe(model: DockerfileModel, instruction: InstructionNode, imageSources: Finding[] = []): string {
  // The wildcards let a stage without /etc/group (or /etc/passwd) through with an empty answer.
  return probeDockerfile(model, instruction, ['scratch', `COPY --from=${instruction.stage} /etc/passwd* /etc/group* /`], imageSources)
}

export function listingProbe(model: DockerfileModel, instruction: InstructionNode, from: string, imageSources: Finding[] = []): string {
  const stage = stageByRef(model, from, instruction.stage + 1)
  if (stage && !stage.name) return probeDockerfile(model, instruction, ['scratch', `COPY --from=${stage.index} / /`], imageSources)
  return probeDockerfile(model, instruction, [stage?.name ?? sourceOf(model, instruction, from, imageSources)], imageSources)
}

/**
 * The image `instruction` reads `from` (written on it, as `--from=<image>`) as the build pulls it:
 * the text an image-source edit on that instruction puts in its place, else as written.
 */
function sourceOf(model: DockerfileModel, instruction: InstructionNode, from: string, imageSources: Finding[]): string {
  const [start, end] = instruction.range
  const edit = imageSources
    .flatMap((finding) => finding.fix ?? [])
    .find((e) => e.range[0] >= start && e.range[1] <= end && model.text.slice(e.range[0], e.range[1]) === from)
  return edit?.text ?? from
}

/**
 * The content key of a context directory: a hash over every path BuildKit would be sent (its
 * .dockerignore applied) with its type, mode, size, mtime, ctime, inode and link target. The one place a probe
 * answer learns what a context holds; the stage's content digest replaces it where the caller
 * has one (DockerAccess.contextKey).
 */
export async function contextKeyFor(dir: string): Promise<string> {
  // loaded only when a probe runs: lint never needs the walk
  const [{walkTree}, {IgnoreMatcher, parseIgnoreFile}] = await Promise.all([import('../stage/walk.js'), import('../stage/ignore.js')])
  let patterns: ReturnType<typeof parseIgnoreFile> = []
  const ignoreFile = path.join(dir, '.dockerignore')
  try {
    patterns = parseIgnoreFile(readFileSync(ignoreFile, 'utf8'), ignoreFile)
  } catch {
    // no .dockerignore (or not a file): everything is sent
  }
  const entries = walkTree(dir, {matcher: new IgnoreMatcher(patterns), readLinks: true})
  // size and mtime alone miss a same-size edit whose mtime was set back (tar x, rsync -a, cp -p, npm):
  // what user space cannot set goes in too, as git's index keeps it (a write changes the ctime, a
  // file replaced whole has another inode)
  const lines = entries.map((e) => {
    const stat = e.kind === 'file' ? `${e.size}\0${e.mtimeNs}\0${e.ctimeNs}\0${e.dev}:${e.ino}` : ''
    return `${e.rel}\0${e.kind}\0${e.mode}\0${stat}\0${e.target ?? ''}`
  })
  lines.sort(compareCodeUnits)
  return 'tree:' + createHash('sha256').update(lines.join('\n')).digest('hex')
}

/** What a probe's answer depends on beyond its Dockerfile text, build args, platform and builder. */
interface ProbeInputs {
  /** Content key of the main context. */
  context: string
  /** Named contexts the probe Dockerfile names: their content key (local) or their source (image, git, URL). */
  named: [string, string][]
  /** Image references the probed stages are built from, with the digest they resolve to. */
  images: [string, string][]
}

/** Memoized per run: a context's key and an image's digest are the same for every probe of one build. */
class InputResolver {
  private readonly keys = new Map<string, Promise<string>>()
  private readonly digests = new Map<string, Promise<string | undefined>>()
  private driver: Promise<string | undefined> | undefined

  constructor(
    private readonly options: ProbeOptions,
    private readonly facts: Facts,
  ) {}

  private keyOf(dir: string, given: string | undefined): Promise<string> {
    if (given !== undefined) return Promise.resolve(given)
    let key = this.keys.get(dir)
    if (!key) this.keys.set(dir, (key = contextKeyFor(dir)))
    return key
  }

  /** The builder's driver: only the docker driver builds from the images in docker's own store. */
  private builderDriver(): Promise<string | undefined> {
    const known = this.facts.builder
    this.driver ??= (known ? Promise.resolve(known) : probeBuilder(this.options)).then((fact) =>
      isFactError(fact) ? undefined : fact.driver,
    )
    return this.driver
  }

  /**
   * The digest behind an image reference, as the builder would resolve it: docker's own image ID
   * for the docker driver when the image is there (what BuildKit in dockerd builds from), else the
   * registry's manifest digest. Undefined when neither can be had: the answer is then not reused.
   */
  digestOf(ref: string): Promise<string | undefined> {
    let digest = this.digests.get(ref)
    if (!digest) this.digests.set(ref, (digest = this.resolveDigest(ref)))
    return digest
  }

  private async resolveDigest(ref: string): Promise<string | undefined> {
    const pinned = /@(sha256:[0-9a-f]{64})$/.exec(ref)?.[1]
    if (pinned) return pinned
    const env = this.options.docker.env
    if ((await this.builderDriver()) === 'docker') {
      const local = await runDocker(['image', 'inspect', '--format', '{{.Id}}', ref], {env, timeout: 60_000})
      if (local.exitCode === 0 && local.stdout.trim()) return local.stdout.trim()
    }
    const remote = await runDocker(['buildx', 'imagetools', 'inspect', '--format', '{{json .Manifest.Digest}}', ref], {
      env,
      timeout: 60_000,
    })
    return remote.exitCode === 0 && remote.stdout.trim() ? remote.stdout.trim() : undefined
  }

  /**
   * Everything a probe reads besides its text; undefined when an image digest cannot be had. The
   * images are read off the probe's own text: the references it builds from (mirrored where the
   * build's are), the probe stage's too.
   */
  async inputsFor(probeText: string): Promise<ProbeInputs | undefined> {
    const {docker} = this.options
    const named: [string, string][] = []
    for (const [name, source] of Object.entries(docker.buildContexts ?? {}).sort(([a], [b]) => compareCodeUnits(a, b))) {
      if (!namesContext(probeText, name)) continue
      named.push([
        name,
        sourceKind(source) === 'local'
          ? await this.keyOf(path.resolve(docker.contextDir, source), docker.buildContextKeys?.[name])
          : source,
      ])
    }
    const images: [string, string][] = []
    const probe = parseDockerfile(probeText)
    const refs = baseImages(
      probe,
      variableScopes(probe, this.options.buildArgs, this.options.platform),
      new Set(Object.keys(docker.buildContexts ?? {})),
    )
    for (const ref of refs) {
      const digest = await this.digestOf(ref)
      if (digest === undefined) return undefined
      images.push([ref, digest])
    }
    return {context: await this.keyOf(docker.contextDir, docker.contextKey), named, images}
  }
}

/** Whether the probe Dockerfile names this build context (FROM, --from=, from= of a mount). */
function namesContext(text: string, name: string): boolean {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return new RegExp(`(^|[\\s=])${escaped}($|[\\s,])`, 'im').test(text)
}

/** Image references a (probe) Dockerfile builds from: FROM, COPY --from, RUN --mount from=. */
function baseImages(model: DockerfileModel, scopes: Lookup[], contexts: Set<string>): string[] {
  const refs = new Set<string>()
  const add = (at: InstructionNode, word: string, before: number) => {
    const ref = expandWord(word, scopes[at.index] ?? (() => undefined), model.escape).value
    if (ref === '' || ref.toLowerCase() === 'scratch' || namedContextOf(ref, [...contexts]) !== undefined || stageByRef(model, ref, before))
      return
    refs.add(ref)
  }
  for (const at of model.instructions) {
    if (at.keyword === 'FROM' && at.args[0]) add(at, at.args[0].value, at.stage)
    const from = flag(at, 'from')
    if ((at.keyword === 'COPY' || at.keyword === 'ADD') && from?.value) add(at, from.value, at.stage + 1)
    if (at.keyword === 'RUN') {
      for (const mount of at.flags.filter((f) => f.name === 'mount')) {
        const value = /(?:^|,)from=([^,]+)/.exec(mount.value ?? '')?.[1]
        if (value) add(at, value, at.stage + 1)
      }
    }
  }
  return [...refs].sort(compareCodeUnits)
}

function cacheKey(kind: string, dockerfile: string, inputs: ProbeInputs, options: ProbeOptions): string {
  const env = options.docker.env ?? process.env
  const buildArgs = Object.entries(options.buildArgs ?? {}).sort(([a], [b]) => compareCodeUnits(a, b))
  const identity = {
    v: CACHE_VERSION,
    kind,
    dockerfile,
    buildArgs,
    platform: options.platform ?? '',
    builder: options.docker.builder ?? env.BUILDX_BUILDER ?? '',
    host: env.DOCKER_HOST ?? '',
    dockerContext: env.DOCKER_CONTEXT ?? '',
    ...inputs,
  }
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex')
}

/** The answer for this probe: reused only while every input behind it is unchanged (see ProbeInputs). */
async function cached<T>(
  kind: string,
  dockerfile: string,
  inputs: ProbeInputs | undefined,
  options: ProbeOptions,
  compute: () => Promise<T | FactError>,
): Promise<T | FactError> {
  const dir = options.cacheDir ?? defaultCacheDir(options.docker.env)
  const file = inputs && path.join(dir, `${kind}-${cacheKey(kind, dockerfile, inputs, options)}.json`)
  if (file && existsSync(file)) {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as T
    } catch {
      // a torn cache file is recomputed
    }
  }
  const value = await compute()
  if (file && !isFactError(value)) {
    writeFileAtomic(file, JSON.stringify(value))
  }
  return value
}

async function build(dockerfile: string, output: string, options: ProbeOptions): Promise<FactError | undefined> {
  const {docker} = options
  const args = ['buildx', 'build', '--progress=plain', '-f', '-', '--target', PROBE_STAGE, '--output', output]
  if (docker.builder) args.push('--builder', docker.builder)
  if (docker.network) args.push(`--network=${docker.network}`)
  if (options.platform) args.push('--platform', options.platform)
  for (const [name, value] of Object.entries(options.buildArgs ?? {})) args.push('--build-arg', `${name}=${value}`)
  for (const [name, source] of Object.entries(docker.buildContexts ?? {})) args.push('--build-context', `${name}=${source}`)
  args.push(docker.contextDir)
  const run = await runDocker(args, {cwd: docker.contextDir, env: docker.env, input: encodeText(dockerfile), timeout: PROBE_TIMEOUT_MS})
  if (run.exitCode === 0) return undefined
  const tail = run.stderr.trim().split('\n').slice(-3).join(' | ')
  return {error: `the probe build failed (docker exit ${run.exitCode}): ${tail}`}
}

async function probeAccounts(dockerfile: string, inputs: ProbeInputs | undefined, options: ProbeOptions): Promise<Accounts | FactError> {
  return cached('accounts', dockerfile, inputs, options, async () => {
    const dest = mkdtempSync(path.join(os.tmpdir(), 'dbuild-probe-'))
    try {
      const failed = await build(dockerfile, `type=local,dest=${dest}`, options)
      if (failed) return failed
      const read = (name: string) => (existsSync(path.join(dest, name)) ? readFileSync(path.join(dest, name), 'utf8') : '')
      return {passwd: read('passwd'), group: read('group')}
    } finally {
      rmSync(dest, {recursive: true, force: true})
    }
  })
}

async function probeListing(dockerfile: string, inputs: ProbeInputs | undefined, options: ProbeOptions): Promise<TreeEntry[] | FactError> {
  return cached('listing', dockerfile, inputs, options, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dbuild-probe-'))
    const tar = path.join(dir, 'stage.tar')
    try {
      const failed = await build(dockerfile, `type=tar,dest=${tar}`, options)
      return failed ?? readTarHeaders(tar)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
}

/** The builder's name, driver and BuildKit version (its engine's where it reports none), as src/buildx/inspect.ts reads them for doctor too. */
async function probeBuilder(options: ProbeOptions): Promise<BuilderFact | FactError> {
  const {docker} = options
  const builder = await inspectBuilder(docker.env ?? process.env, docker.builder, 60_000)
  if (!builder.ok)
    return {error: `docker buildx inspect${docker.builder ? ` ${docker.builder}` : ''} failed: ${builder.error ?? 'no answer'}`}
  const buildkit = await builderBuildkit(docker.env ?? process.env, builder)
  return {
    ...(builder.name === undefined ? {} : {name: builder.name}),
    ...(builder.driver === undefined ? {} : {driver: builder.driver}),
    ...(buildkit.version === undefined ? {} : {buildkitVersion: buildkit.version}),
    ...(builder.buildkitReported === undefined ? {} : {reported: builder.buildkitReported}),
    buildkitFrom: buildkit.from,
  }
}

/** Runs the probes the rules asked for, one at a time (builds are heavy), each once. */
export async function gatherFacts(model: DockerfileModel, requests: FactRequest[], options: ProbeOptions | undefined): Promise<Facts> {
  const facts: Facts = {accounts: new Map(), listings: new Map()}
  if (!options) {
    if (requests.length > 0)
      facts.unavailable = 'no BuildKit access was given (no build context), so facts from the image could not be probed'
    return facts
  }
  const resolver = new InputResolver(options, facts)
  const sources = options.imageSources ?? []
  for (const request of requests) {
    if (request.kind === 'builder' && facts.builder === undefined) facts.builder = await probeBuilder(options)
    if (request.kind === 'accounts' && !facts.accounts.has(request.instruction.line)) {
      const text = accountsProbe(model, request.instruction, sources)
      facts.accounts.set(request.instruction.line, await probeAccounts(text, await resolver.inputsFor(text), options))
    }
    if (request.kind === 'listing' && !facts.listings.has(request.from)) {
      const text = listingProbe(model, request.instruction, request.from, sources)
      facts.listings.set(request.from, await probeListing(text, await resolver.inputsFor(text), options))
    }
  }
  return facts
}
