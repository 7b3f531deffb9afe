/**
 * The test side of the real build engine: integration tests call `useEngine(t)`.
 *
 * The engine is started once per phase of a test run by `test/run.js` (npm test), which writes
 * its description to the state file and stops it afterwards. Each phase runs one flavor:
 * 'floor' (Docker 26.1, buildx 0.13) or 'current' (Docker 28.5, buildx 0.29, containerd 2.1);
 * `engine.flavor` and `engine.versions` say which, and every daemon's `env` selects that
 * flavor's docker CLI (PATH) and buildx (DOCKER_CONFIG/cli-plugins) for whatever a test starts.
 * Set DBUILD_TEST_DOCKER_HOST (graphdriver daemon), DBUILD_TEST_CONTAINERD_HOST and
 * DBUILD_TEST_REGISTRY (and DBUILD_TEST_FLAVOR when it is not the floor) to reuse engines that are already running.
 */
import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {type EngineState as EngineJsState, type EngineVersions, type Flavor, LOCAL_BASE_IMAGE, linkPlugins, versionsOf} from './engine.js'

export type {EngineVersions, Flavor} from './engine.js'

export type Store = 'containerd' | 'graphdriver'

export interface Daemon {
  store: Store
  /** DOCKER_HOST value, e.g. unix:///tmp/x/docker.sock */
  host: string
  /**
   * process.env plus DOCKER_HOST for this daemon, PATH and DOCKER_CONFIG that select the flavor's
   * docker CLI and buildx, and no DOCKER_CONTEXT/BUILDX_BUILDER. Start every docker (and dbuild) with it.
   */
  env: NodeJS.ProcessEnv
}

export interface Engine {
  /** 'floor' (Docker 26.1, buildx 0.13) or 'current' (Docker 28.5, buildx 0.29, containerd 2.1) */
  flavor: Flavor
  /** What runs, as docker reports it: dockerClient, dockerServer, buildx, containerd, runc, compose. */
  versions: EngineVersions
  /**
   * For a test that needs a DOCKER_CONFIG of its own: links this flavor's buildx (and compose)
   * into DIR/cli-plugins, so docker still runs this engine's buildx with it, and returns DIR.
   */
  dockerConfig(dir: string): string
  graphdriver: Daemon
  containerd: Daemon
  /** host:port of the docker-registry on 127.0.0.1 */
  registry: string
  /** The busybox base image (user app = 1000:1000) as pushed to the registry; the same digest on both daemons. */
  baseImage: string
  /** The same image under its short local tag, present in both daemons. */
  localBaseImage: string
}

/** What test/run.js wrote: engine.js's state, or only `available` and `reason` when there is none. */
export type EngineState = Partial<EngineJsState> & {available: boolean}

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
/** Where test/run.js wrote this run's engine state (DBUILD_TEST_STATE). */
export const STATE_FILE = process.env.DBUILD_TEST_STATE ?? path.join(ROOT, '.tap', 'dbuild-engine.json')

export function daemonEnv(host: string, dockerConfig?: string, pathValue?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {...process.env, DOCKER_HOST: host}
  if (dockerConfig) env.DOCKER_CONFIG = dockerConfig
  if (pathValue) env.PATH = pathValue
  delete env.DOCKER_CONTEXT
  delete env.BUILDX_BUILDER
  return env
}

function stateFromEnv(): EngineState | undefined {
  const gd = process.env.DBUILD_TEST_DOCKER_HOST
  if (!gd) return undefined
  return {
    available: Boolean(process.env.DBUILD_TEST_CONTAINERD_HOST && process.env.DBUILD_TEST_REGISTRY),
    reason: 'DBUILD_TEST_DOCKER_HOST is set but DBUILD_TEST_CONTAINERD_HOST or DBUILD_TEST_REGISTRY is not',
    graphdriverHost: gd,
    containerdHost: process.env.DBUILD_TEST_CONTAINERD_HOST,
    registry: process.env.DBUILD_TEST_REGISTRY,
    flavor: process.env.DBUILD_TEST_FLAVOR === 'current' ? 'current' : 'floor',
  }
}

export function readState(): EngineState {
  const fromEnv = stateFromEnv()
  if (fromEnv) return fromEnv
  if (!existsSync(STATE_FILE)) return {available: false, reason: `no engine state at ${STATE_FILE}; run the tests with npm test`}
  return JSON.parse(readFileSync(STATE_FILE, 'utf8')) as EngineState
}

interface SkippableTest {
  fail(message: string): unknown
  plan(n: number, comment?: string): unknown
}

/**
 * The engine for an integration test file. Outside CI with no engine, the file is skipped
 * (before.ts already printed one loud line); in CI that is a failure.
 */
export function useEngine(t: SkippableTest): Engine | undefined {
  const state = readState()
  if (!state.available || !state.graphdriverHost || !state.containerdHost || !state.registry) {
    const reason = `no build engine: ${state.reason ?? 'unknown'}`
    if (process.env.CI === 'true' || process.env.CI === '1') t.fail(reason)
    else t.plan(0, reason)
    return undefined
  }
  const flavor = state.flavor ?? 'floor'
  const graphdriverEnv = daemonEnv(state.graphdriverHost, state.dockerConfig, state.path)
  return {
    flavor,
    // A reused engine's state has no versions: ask it (once per test file).
    versions: state.versions ?? versionsOf(graphdriverEnv),
    dockerConfig: (dir: string) => {
      linkPlugins(dir, flavor)
      return dir
    },
    graphdriver: {store: 'graphdriver', host: state.graphdriverHost, env: graphdriverEnv},
    containerd: {store: 'containerd', host: state.containerdHost, env: daemonEnv(state.containerdHost, state.dockerConfig, state.path)},
    registry: state.registry,
    baseImage: `${state.registry}/${LOCAL_BASE_IMAGE}`,
    localBaseImage: LOCAL_BASE_IMAGE,
  }
}

/**
 * Whether a version as docker reports it ('0.29.1+ds1', '28.5.2+dfsg4', 'v0.13.1') is at least
 * `minimum` ('0.15'), for tests whose expectation truly depends on the engine's version.
 */
export function versionAtLeast(version: string, minimum: string): boolean {
  const parts = (v: string) => (/\d+(?:\.\d+)*/.exec(v)?.[0] ?? '0').split('.').map(Number)
  const have = parts(version)
  const want = parts(minimum)
  for (let i = 0; i < want.length; i++) {
    const a = have[i] ?? 0
    const b = want[i] ?? 0
    if (a !== b) return a > b
  }
  return true
}
