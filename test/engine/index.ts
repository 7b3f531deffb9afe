/**
 * The test side of the real build engine: integration tests call `useEngine(t)`.
 *
 * The engine is started once per test run by `test/run.js` (npm test), which writes its
 * description to the state file and stops it afterwards. Set
 * DBUILD_TEST_DOCKER_HOST (graphdriver daemon), DBUILD_TEST_CONTAINERD_HOST and
 * DBUILD_TEST_REGISTRY to reuse engines that are already running.
 */
import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {type EngineState as EngineJsState, LOCAL_BASE_IMAGE} from './engine.js'

export type Store = 'containerd' | 'graphdriver'

export interface Daemon {
  store: Store
  /** DOCKER_HOST value, e.g. unix:///tmp/x/docker.sock */
  host: string
  /** process.env plus DOCKER_HOST for this daemon and no DOCKER_CONTEXT/BUILDX_BUILDER. */
  env: NodeJS.ProcessEnv
}

export interface Engine {
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
export const STATE_FILE = path.join(ROOT, '.tap', 'dbuild-engine.json')

export function daemonEnv(host: string, dockerConfig?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {...process.env, DOCKER_HOST: host}
  if (dockerConfig) env.DOCKER_CONFIG = dockerConfig
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
  return {
    graphdriver: {store: 'graphdriver', host: state.graphdriverHost, env: daemonEnv(state.graphdriverHost, state.dockerConfig)},
    containerd: {store: 'containerd', host: state.containerdHost, env: daemonEnv(state.containerdHost, state.dockerConfig)},
    registry: state.registry,
    baseImage: `${state.registry}/${LOCAL_BASE_IMAGE}`,
    localBaseImage: LOCAL_BASE_IMAGE,
  }
}
