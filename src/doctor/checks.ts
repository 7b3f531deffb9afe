/**
 * doctor's checks as pure functions of probe results, so each can be table-tested. The probes
 * (src/doctor/probes.ts) run docker, git and HTTP; nothing here does I/O.
 */
import {type BuilderFacts, type ImageStore, imageStoreFromLabels, workerOf} from '../buildx/inspect.js'
import {CACHE_EXPORT_FIX, unsupportedCacheExports} from '../cache/exporters.js'
import {allInstalled, type HookReport} from '../hook/hooks.js'
import type {ShimStatus} from '../docker-plugin/buildx-shim.js'
import type {ModeDrift} from './modes.js'

export type CheckStatus = 'fail' | 'pass' | 'warn'

export interface Check {
  id: string
  title: string
  status: CheckStatus
  /** What was found. */
  detail: string
  /** How to fix it, when not passing. */
  fix?: string
}

export type {ImageStore}

export interface ToolProbe {
  ok: boolean
  version?: string
  error?: string
}

export interface DaemonProbe extends ToolProbe {
  /** DOCKER_HOST, DOCKER_CONTEXT or the context's endpoint, as far as known. */
  endpoint?: string
  /** `docker info`'s storage driver (overlay2, overlayfs, …). */
  driver?: string
  /** `docker info`'s DriverStatus pairs. */
  driverStatus?: Array<[string, string]>
}

export interface BuilderProbe extends BuilderFacts {
  ok: boolean
  /** Named with --builder or BUILDX_BUILDER: it may build on another context's daemon than the one `docker info` asks. */
  selected?: boolean
  /** How buildkitVersion was found (its engine's vendored BuildKit where the builder reports v0.0.0+unknown), or why it is unknown. */
  buildkitFrom?: string
}

export interface RegistryProbe {
  host: string
  /** The cacheFrom specs that use this registry. */
  specs: string[]
  reachable: 'unknown' | boolean
  detail: string
}

export interface ConfigProbe {
  /** The file found, if any. */
  path?: string
  /** The error (file:line: message) when it is invalid. */
  error?: string
  /** False outside a git work tree, where setup cannot create one. */
  inGitWorkTree?: boolean
  /** The config's cacheTo specs, to check against the builder. */
  cacheTo?: string[]
  /** A config that was found and refused, and why (a build would ignore it the same way). */
  refused?: {path: string; reason: string; fix: string}
}

export interface Probes {
  cli: ToolProbe
  daemon: DaemonProbe
  buildx: ToolProbe
  builder: BuilderProbe
  /** The umask as three octal digits, e.g. "022". */
  umask?: string
  /** Undefined outside a git work tree. */
  modes?: ModeDrift
  /** Undefined outside a git work tree. */
  hooks?: HookReport[]
  config: ConfigProbe
  registries: RegistryProbe[]
  /** dbuild's docker-buildx shim in $DOCKER_CONFIG/cli-plugins; undefined when not probed. */
  shim?: ShimStatus
}

const CONTAINERD_DRIVER_TYPE = 'io.containerd.snapshotter.v1'

/**
 * The daemon's image store: `docker info` reports driver-type io.containerd.snapshotter.v1 for the
 * containerd store. Without `docker info`, the built-in (docker driver) builder's worker labels tell:
 * the containerd worker has executor/snapshotter labels, the moby graphdriver worker has neither.
 */
export function imageStoreOf(daemon: DaemonProbe, builder: BuilderProbe): ImageStore | undefined {
  // a builder named with --builder/BUILDX_BUILDER may be another context's (a remote daemon):
  // its own worker labels describe it, `docker info` describes the local daemon
  const fromBuilder = builder.ok ? imageStoreFromLabels(builder) : undefined
  if (builder.selected && fromBuilder !== undefined) return fromBuilder
  if (daemon.ok && daemon.driverStatus) {
    return daemon.driverStatus.some(([key, value]) => key === 'driver-type' && value === CONTAINERD_DRIVER_TYPE)
      ? 'containerd'
      : 'graphdriver'
  }
  return fromBuilder
}

const pass = (id: string, title: string, detail: string): Check => ({id, title, status: 'pass', detail})
const notPassing = (status: 'fail' | 'warn', id: string, title: string, detail: string, fix: string): Check => ({
  id,
  title,
  status,
  detail,
  fix,
})

export function checkDockerCli(cli: ToolProbe): Check {
  return cli.ok
    ? pass('docker-cli', 'docker CLI', `docker ${cli.version ?? '(version unknown)'}`)
    : notPassing(
        'fail',
        'docker-cli',
        'docker CLI',
        cli.error ?? 'docker was not found on PATH',
        'Install the Docker CLI (https://docs.docker.com/engine/install/) and put docker on PATH.',
      )
}

export function checkDaemon(daemon: DaemonProbe): Check {
  const where = daemon.endpoint ? ` at ${daemon.endpoint}` : ''
  return daemon.ok
    ? pass('docker-daemon', 'docker daemon', `Docker Engine ${daemon.version ?? '(version unknown)'}${where}`)
    : notPassing(
        'fail',
        'docker-daemon',
        'docker daemon',
        `not reachable${where}: ${daemon.error ?? 'unknown error'}`,
        'Start the docker daemon, or point DOCKER_HOST / DOCKER_CONTEXT (docker context use) at a running one.',
      )
}

export function checkBuildx(buildx: ToolProbe): Check {
  return buildx.ok
    ? pass('buildx', 'buildx', `buildx ${buildx.version ?? '(version unknown)'}`)
    : notPassing(
        'fail',
        'buildx',
        'buildx',
        buildx.error ?? 'docker buildx is not available',
        'Install the buildx plugin (docker-buildx-plugin, or docker-buildx on Debian/Ubuntu).',
      )
}

export function checkBuilder(builder: BuilderProbe): Check {
  const title = 'builder'
  if (!builder.ok) {
    return notPassing(
      'fail',
      'builder',
      title,
      builder.error ?? 'docker buildx inspect failed',
      'Check BUILDX_BUILDER / --builder, or select one with docker buildx use <name>.',
    )
  }
  const concluded = builder.buildkitFrom && builder.buildkitReported !== builder.buildkitVersion ? `: ${builder.buildkitFrom}` : ''
  const detail = `${builder.name ?? '?'} (driver ${builder.driver ?? '?'}, BuildKit ${builder.buildkitVersion ?? 'version unknown'}${concluded})`
  if (builder.status && builder.status !== 'running') {
    return notPassing(
      'warn',
      'builder',
      title,
      `${detail} is ${builder.status}`,
      `It starts on the first build; docker buildx inspect --bootstrap ${builder.name ?? ''} starts it now.`.trim(),
    )
  }
  return pass('builder', title, detail)
}

const LINK_CHOWN_FAILS = 'COPY --link --chown=<name> resolves the name against an empty layer and fails with "invalid user index: -1"'

/**
 * The worker decides whether COPY --link --chown=<user name> works on the moby graphdriver worker
 * and fails on the containerd image store (Docker 29's default for fresh installs) and on BuildKit's own workers.
 */
export function checkImageStore(daemon: DaemonProbe, builder: BuilderProbe): Check {
  const id = 'image-store'
  const title = 'image store'
  const store = imageStoreOf(daemon, builder)
  const version = builder.buildkitVersion ? `, BuildKit ${builder.buildkitVersion}` : ''
  const viaOtherDriver = builder.ok && builder.driver !== undefined && builder.driver !== 'docker'
  if (store === undefined && !viaOtherDriver) {
    return notPassing(
      'warn',
      id,
      title,
      'unknown: neither docker info nor the builder could tell',
      'Make the daemon reachable and run dbuild doctor again.',
    )
  }
  if (viaOtherDriver) {
    const worker = workerOf(builder) ?? 'its own worker'
    return notPassing(
      'warn',
      id,
      title,
      `daemon ${store ?? 'unknown'}; builds run in BuildKit's ${worker} (driver ${builder.driver}${version}): ${LINK_CHOWN_FAILS} here`,
      'dbuild build rewrites --chown names to numeric ids (rule link-chown); in a plain docker build use numeric ids such as --chown=1000:1000.',
    )
  }
  if (store === 'containerd') {
    return notPassing(
      'warn',
      id,
      title,
      `containerd${version}: ${LINK_CHOWN_FAILS} on this machine`,
      'dbuild build rewrites --chown names to numeric ids (rule link-chown); in a plain docker build use numeric ids such as --chown=1000:1000.',
    )
  }
  return pass(
    id,
    title,
    `graphdriver (${daemon.driver ?? 'legacy'}${version}): COPY --link --chown=<name> works here but ` +
      `fails on containerd-store machines (Docker 29's default for fresh installs); dbuild build makes it portable`,
  )
}

export function checkUmask(umask: string | undefined, hooks: HookReport[] | undefined): Check {
  if (umask === undefined) return notPassing('warn', 'umask', 'umask', 'unknown', 'Run umask in your shell to see it.')
  if (umask === '022') return pass('umask', 'umask', '022: git writes files as 0644/0755')
  const covered = hooks !== undefined && allInstalled(hooks)
  const detail =
    `${umask}: git writes files with other modes than 0644/0755, and docker build checksums ` +
    `modes${covered ? '; the installed hooks fix them after each checkout' : ''}`
  return covered
    ? pass('umask', 'umask', detail)
    : notPassing(
        'warn',
        'umask',
        'umask',
        detail,
        'Run dbuild hook install so checkouts get canonical modes (or umask 022 in your shell profile).',
      )
}

export function checkWorkTreeModes(modes: ModeDrift | undefined): Check {
  const title = 'work tree modes'
  if (modes === undefined)
    return notPassing('warn', 'work-tree-modes', title, 'not in a git work tree', 'Run dbuild doctor inside your checkout.')
  if (modes.wrong.length === 0) return pass('work-tree-modes', title, `${modes.files} tracked file(s) have canonical modes`)
  const examples = modes.wrong
    .slice(0, 3)
    .map((w) => `${JSON.stringify(w.path)} ${w.mode}≠${w.want}`)
    .join(', ')
  return notPassing(
    'warn',
    'work-tree-modes',
    title,
    `${modes.wrong.length} path(s) with non-canonical modes (${examples}${modes.wrong.length > 3 ? ', …' : ''}): a plain docker build misses the cache`,
    'Run dbuild normalize.',
  )
}

export function checkHooks(hooks: HookReport[] | undefined): Check {
  const title = 'git hooks'
  if (hooks === undefined) return notPassing('warn', 'hooks', title, 'not in a git work tree', 'Run dbuild doctor inside your checkout.')
  const detail = hooks
    .map(
      (h) =>
        `${h.name} ${h.state}${h.displacedBy ? ` by ${h.displacedBy}` : ''}${h.outdated ? ' (outdated)' : ''}${h.chained ? ' (chains a foreign hook)' : ''}`,
    )
    .join(', ')
  return allInstalled(hooks) ? pass('hooks', title, detail) : notPassing('warn', 'hooks', title, detail, 'Run dbuild hook install.')
}

export function checkConfig(config: ConfigProbe): Check {
  if (config.error)
    return notPassing('fail', 'config', '.dbuild.json', config.error, 'Fix the file at the line named, or delete it and run dbuild setup.')
  if (config.refused) {
    return notPassing(
      'warn',
      'config',
      '.dbuild.json',
      `${config.refused.path} was found and refused: ${config.refused.reason}`,
      config.refused.fix,
    )
  }
  if (!config.path && config.inGitWorkTree === false) {
    // setup refuses outside a git work tree: send the user where both commands work
    return notPassing(
      'warn',
      'config',
      '.dbuild.json',
      'none found, and not in a git work tree (dbuild looks from the context up to the git root)',
      'Run dbuild doctor inside your checkout; dbuild setup there creates one.',
    )
  }
  if (!config.path) return notPassing('warn', 'config', '.dbuild.json', 'none found up to the git root', 'Run dbuild setup to create one.')
  return pass('config', '.dbuild.json', `${config.path} is valid`)
}

/**
 * The config's cacheTo specs against the builder's cache exporters: with the docker driver on the
 * graphdriver store only inline works, and a registry cacheTo would fail every CI build (dbuild
 * build drops it with a warning; the fix is the builder or the spec).
 */
export function checkCacheExports(config: ConfigProbe, daemon: DaemonProbe, builder: BuilderProbe): Check {
  const id = 'cache-export'
  const title = 'cacheTo'
  const specs = config.cacheTo ?? []
  if (specs.length === 0) return pass(id, title, 'no cacheTo in .dbuild.json')
  if (!builder.ok)
    return notPassing(
      'warn',
      id,
      title,
      `cannot tell whether the builder exports ${specs.join(', ')}: ${builder.error ?? 'no builder'}`,
      'Make the builder reachable and run dbuild doctor again.',
    )
  const imageStore = imageStoreOf(daemon, builder)
  const unsupported = unsupportedCacheExports(specs, {
    ...(builder.name ? {name: builder.name} : {}),
    ...(builder.driver ? {driver: builder.driver} : {}),
    ...(imageStore ? {imageStore} : {}),
  })
  if (unsupported.length === 0)
    return pass(id, title, `builder ${builder.name ?? '?'} (driver ${builder.driver ?? '?'}) exports ${specs.join(', ')}`)
  return notPassing(
    'warn',
    id,
    title,
    `${unsupported.map((entry) => entry.spec).join(', ')}: not exported by builder ` +
      `${builder.name ?? '?'} (driver ` +
      `${builder.driver ?? '?'}${imageStore ? `, ${imageStore} image store` : ''}); dbuild build drops ` +
      `${unsupported.length === 1 ? 'it' : 'them'} with a warning`,
    `${CACHE_EXPORT_FIX[0]?.toUpperCase()}${CACHE_EXPORT_FIX.slice(1)}.`,
  )
}

export function checkRegistry(registry: RegistryProbe): Check {
  const id = `registry:${registry.host}`
  const title = `cache registry ${registry.host}`
  if (registry.reachable === true) return pass(id, title, registry.detail)
  const fix = 'Builds still work but without this cache; check the network, VPN or proxy, and `docker login` for private registries.'
  return notPassing(
    'warn',
    id,
    title,
    registry.reachable === 'unknown' ? `unknown (offline?): ${registry.detail}` : `not reachable: ${registry.detail}`,
    fix,
  )
}

export function checkBuildxShim(shim: ShimStatus): Check {
  const title = 'buildx shim'
  if (shim.state === 'missing')
    return pass(
      'buildx-shim',
      title,
      'not installed: docker buildx build and Compose run buildx without dbuild (dbuild docker install --buildx)',
    )
  if (shim.state === 'overwritten') {
    return notPassing(
      'warn',
      'buildx-shim',
      title,
      `another docker-buildx (setup-buildx-action, docker buildx install, a package) wrote over it: ${shim.shim}`,
      'Run dbuild docker install --buildx to repair it.',
    )
  }
  if (shim.real === undefined)
    return notPassing(
      'fail',
      'buildx-shim',
      title,
      `${shim.shim} finds no real buildx to run`,
      'Install buildx (docker-buildx-plugin), then run dbuild docker install --buildx.',
    )
  return pass('buildx-shim', title, `${shim.shim}: build and bake through dbuild, the rest to ${shim.real}`)
}

/** Every check, in the order doctor reports them. */
export function runChecks(probes: Probes): Check[] {
  return [
    checkDockerCli(probes.cli),
    checkDaemon(probes.daemon),
    checkBuildx(probes.buildx),
    ...(probes.shim ? [checkBuildxShim(probes.shim)] : []),
    checkBuilder(probes.builder),
    checkImageStore(probes.daemon, probes.builder),
    checkUmask(probes.umask, probes.hooks),
    checkWorkTreeModes(probes.modes),
    checkHooks(probes.hooks),
    checkConfig(probes.config),
    ...(probes.config.cacheTo?.length ? [checkCacheExports(probes.config, probes.daemon, probes.builder)] : []),
    ...probes.registries.map((registry) => checkRegistry(registry)),
  ]
}
