/**
 * `docker buildx inspect`: which builder a build goes to, its driver, and the daemon's image store
 * as the built-in builder's worker labels tell it. doctor and the build's cache step both ask here.
 */
import {parseVersion} from '../version.js'
import {vendoredBuildkit} from './engine-buildkit.js'
import {runDocker} from './run.js'

export type ImageStore = 'containerd' | 'graphdriver'

export interface BuilderFacts {
  name?: string
  driver?: string
  status?: string
  /** The first node's endpoint: a docker context name for the docker driver (`default`), else an address. */
  endpoint?: string
  /** e.g. v0.25.1; undefined when the builder does not say (Docker's built-in BuildKit, as distributions build it, reports v0.0.0+unknown). */
  buildkitVersion?: string
  /** The version text as reported, for messages. */
  buildkitReported?: string
  labels: Record<string, string>
  /**
   * The text has buildx 0.13's `BuildKit version:` line: a buildx that prints the worker labels
   * whenever there are any (0.11 on), so an empty list means the worker reported none.
   */
  labelsListed?: boolean
  /** buildx prints the builder with an Error: line (and exits 0) when its endpoint cannot be reached. */
  error?: string
}

/** Parses `docker buildx inspect` text: Name/Driver/Status/BuildKit version and the worker labels. */
export function parseBuildxInspect(text: string): BuilderFacts {
  const probe: BuilderFacts = {labels: {}}
  let inLabels = false
  for (const line of text.split('\n')) {
    if (inLabels && /^\s+\S/.test(line)) {
      const match = /^\s+([^:\s]+):\s*(.*)$/.exec(line)
      if (match?.[1]) probe.labels[match[1]] = (match[2] ?? '').trim()
      continue
    }
    inLabels = false
    const match = /^([A-Za-z][A-Za-z ]*):\s*(.*)$/.exec(line)
    if (!match?.[1]) continue
    const key = match[1].trim().toLowerCase()
    const value = (match[2] ?? '').trim()
    if (!value && key !== 'labels') continue
    if (key === 'name' && probe.name === undefined) probe.name = value
    else if (key === 'driver' && probe.driver === undefined) probe.driver = value
    else if (key === 'status' && probe.status === undefined) probe.status = value
    else if (key === 'endpoint' && probe.endpoint === undefined) probe.endpoint = value
    else if (key === 'error' && probe.error === undefined) probe.error = value
    else if ((key === 'buildkit version' || key === 'buildkit') && probe.buildkitReported === undefined) {
      probe.buildkitReported = value
      if (key === 'buildkit version') probe.labelsListed = true
      if (/^v?\d+\.\d+\.\d+/.test(value) && parseVersion(value)) probe.buildkitVersion = value
    } else if (key === 'labels') inLabels = true
  }
  return probe
}

const EXECUTOR_LABEL = 'org.mobyproject.buildkit.worker.executor'
const SNAPSHOTTER_LABEL = 'org.mobyproject.buildkit.worker.snapshotter'

/**
 * The image store behind the built-in (docker driver) builder, as buildx itself tells it apart
 * (driver/docker Features): a worker with the snapshotter label is the containerd store, which
 * exports caches; any other is the graphdriver store, which buildx refuses to export from. Moby's
 * graphdriver worker reports some labels on Docker 26 and none on Docker 28, so an empty list
 * counts only where buildx would have printed the labels. Undefined for other drivers.
 */
export function imageStoreFromLabels(builder: Pick<BuilderFacts, 'driver' | 'labels' | 'labelsListed'>): ImageStore | undefined {
  if (builder.driver !== 'docker') return undefined
  if (Object.keys(builder.labels).length === 0 && !builder.labelsListed) return undefined
  return builder.labels[SNAPSHOTTER_LABEL] !== undefined ? 'containerd' : 'graphdriver'
}

/** The worker a non-docker driver's builds run in (`containerd/overlayfs`), for messages. */
export function workerOf(builder: Pick<BuilderFacts, 'labels'>): string | undefined {
  return [builder.labels[EXECUTOR_LABEL], builder.labels[SNAPSHOTTER_LABEL]].filter(Boolean).join('/') || undefined
}

/** `docker buildx inspect [builder]`; `ok` false with the error when it failed or the builder cannot be reached. */
export async function inspectBuilder(env: NodeJS.ProcessEnv, builder?: string, timeout = 15_000): Promise<BuilderFacts & {ok: boolean}> {
  const args = ['buildx', 'inspect', ...(builder ? [builder] : [])]
  const result = await runDocker(args, {env, timeout})
  if (result.exitCode !== 0) {
    const error = result.stderr
      .trim()
      .split('\n')
      .find((line) => line.trim() !== '')
      ?.trim()
    return {ok: false, labels: {}, error: error || `docker ${args.join(' ')} exited ${result.exitCode}`}
  }
  const parsed = parseBuildxInspect(result.stdout)
  return {ok: parsed.error === undefined, ...parsed}
}

/**
 * After a failed build: why the builder could not be reached (buildx's own words), or undefined
 * when it answers and the build failed for its own reasons.
 */
export async function unreachableBuilder(env: NodeJS.ProcessEnv, builder?: string): Promise<string | undefined> {
  const facts = await inspectBuilder(env, builder, 10_000)
  return facts.ok ? undefined : facts.error
}

/** The BuildKit version a builder runs, and what told dbuild so. */
export interface BuildkitVersion {
  /** e.g. v0.25.2; undefined when nothing tells. For an engine newer than dbuild knows, the oldest it can be. */
  version?: string
  /** How it was found, for doctor and findings: `builder default reports v0.0.0+unknown; Docker Engine 28.5.2 vendors BuildKit v0.25.2`. */
  from: string
}

/**
 * The builder's BuildKit version: as it reports it, else, for the docker driver, the one its engine
 * vendors (Debian's and Ubuntu's dockerd report v0.0.0+unknown). Never a guess: undefined when the
 * engine's version is not one dbuild has a row for.
 */
export async function builderBuildkit(
  env: NodeJS.ProcessEnv,
  builder: Pick<BuilderFacts, 'name' | 'driver' | 'endpoint' | 'buildkitVersion' | 'buildkitReported'>,
): Promise<BuildkitVersion> {
  const reports = `builder ${builder.name ?? '(current)'} reports ${builder.buildkitReported ? `BuildKit ${builder.buildkitReported}` : 'no BuildKit version'}`
  if (builder.buildkitVersion) return {version: builder.buildkitVersion, from: reports}
  if (builder.driver !== 'docker') return {from: reports}
  // the docker driver's endpoint is a docker context; `default` is the one DOCKER_HOST and DOCKER_CONTEXT choose
  const context =
    builder.endpoint && builder.endpoint !== 'default' && !builder.endpoint.includes('://') ? ['--context', builder.endpoint] : []
  const run = await runDocker([...context, 'version', '--format', '{{.Server.Version}}'], {env, timeout: 15_000})
  const engine = run.exitCode === 0 ? run.stdout.trim() : ''
  if (!engine) return {from: `${reports}, and the engine's version could not be read`}
  const vendored = vendoredBuildkit(engine)
  if (!vendored) return {from: `${reports}, and dbuild does not know which BuildKit Docker Engine ${engine} vendors`}
  return {
    version: vendored.version,
    from: `${reports}; Docker Engine ${engine} vendors BuildKit ${vendored.version}${vendored.atLeast ? ' or newer' : ''}`,
  }
}
