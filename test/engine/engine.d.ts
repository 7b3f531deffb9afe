/** Types for engine.js (plain JavaScript so the runner, demo and benchmark need no TypeScript loader). */
export const LOCAL_BASE_IMAGE: string

/** Where install.sh unpacks the engines that are not installed system-wide, and the runner puts Node 24. */
export const ENGINES_DIR: string

/** floor: Docker 26.1 + buildx 0.13 (trixie); current: Docker 28.5 + buildx 0.29 + containerd 2.1 (forky). */
export type Flavor = 'floor' | 'current'
export const FLAVORS: readonly Flavor[]

export interface EngineOptions {
  graphdriver?: boolean
  containerd?: boolean
  registry?: boolean
  /** Which engine; default 'floor'. */
  flavor?: Flavor
  log?: (message: string) => void
}

/** What actually runs, as the daemon and the CLI report it (e.g. dockerServer '28.5.2+dfsg4', buildx '0.29.1+ds1'). */
export interface EngineVersions {
  dockerClient: string
  dockerServer: string
  buildx: string
  containerd: string
  runc: string
  compose?: string
}

export interface EngineState {
  available: boolean
  reason?: string
  graphdriverHost?: string
  containerdHost?: string
  registry?: string
  /** DOCKER_CONFIG for the private engine, so tests never touch the user's ~/.docker; its cli-plugins/ select the flavor's buildx */
  dockerConfig?: string
  flavor?: Flavor
  versions?: EngineVersions
  /** PATH with the flavor's docker CLI (and daemons) first */
  path?: string
  baseImage?: string
  localBaseImage: string
  pids: number[]
  dir?: string
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number>

export interface RegistryConfig {
  /** The registry keeps its blobs and manifests in DIR/data. */
  dir: string
  /** It listens on 127.0.0.1:PORT. */
  port: number
  /** Allow deleting manifests and blobs. */
  deletes?: boolean
  /** Refuse every push (maintenance read-only mode). */
  readOnly?: boolean
  /** docker-registry's `auth:` section: one access controller (htpasswd, token) and its settings. */
  auth?: Record<string, Record<string, string>>
}
/** The config.yml of a docker-registry (distribution) on a loopback port. */
export function registryConfig(options: RegistryConfig): string

export function ensureInstalled(log?: (message: string) => void, flavor?: Flavor): void
export function dockerEnv(host: string, dockerConfig: string, pathValue?: string): NodeJS.ProcessEnv
/** Links a flavor's buildx (and compose) into DOCKER_CONFIG/cli-plugins, for a test that needs a DOCKER_CONFIG of its own. */
export function linkPlugins(dockerConfig: string, flavor: Flavor): void
export function versionsOf(env: NodeJS.ProcessEnv): EngineVersions
export interface DockerdOptions {
  /** Its daemon.json, data and exec roots, pid file, log and socket go here. */
  root: string
  daemonJson: object
  /** dockerd finds containerd, its shim and runc through PATH. */
  env: NodeJS.ProcessEnv
  /** Its pid is added here as soon as it starts, for stopEngine, even if it never answers. */
  pids: number[]
  /** More addresses to listen on (`tcp://IP:PORT`, without TLS). */
  hosts?: string[]
  /** A command that runs dockerd, e.g. nsenter into a network namespace. */
  launcher?: string[]
  /** How long it may take to answer, in ms (default 60 s). */
  timeout?: number
}
/** Starts a dockerd in its own process group with everything below `root`; resolves with its unix socket's DOCKER_HOST once it answers there. */
export function startDockerd(options: DockerdOptions): Promise<string>
export function startEngine(options?: EngineOptions): Promise<EngineState & {stop: () => Promise<void>}>
export function stopEngine(state: Pick<EngineState, 'pids' | 'dir'>): Promise<void>
