/**
 * doctor's probes: the facts behind the checks, gathered from docker, buildx, git and the network.
 * docker runs with the caller's environment, so DOCKER_HOST, DOCKER_CONTEXT and BUILDX_BUILDER apply.
 */
import {existsSync} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'

import {builderBuildkit, inspectBuilder, parseBuildxInspect} from '../buildx/inspect.js'
import {runDocker} from '../buildx/run.js'
import {CONFIG_FILE, findConfig} from '../config.js'
import {DbuildError} from '../exit-codes.js'
import {gitRoot} from '../git.js'
import {buildxShimStatus} from '../docker-plugin/buildx-shim.js'
import {dockerConfigDir} from '../docker-config.js'
import {hookStatus, locateHooks} from '../hook/hooks.js'
import type {BuilderProbe, ConfigProbe, DaemonProbe, Probes, RegistryProbe, ToolProbe} from './checks.js'
import {findModeDrift} from './modes.js'
import {childDirectory} from '../working-dir.js'

export interface ProbeOptions {
  /** Where the config and work tree are looked for; undefined when the working directory was deleted. */
  cwd: string | undefined
  env?: NodeJS.ProcessEnv
  /** buildx builder name (--builder); BUILDX_BUILDER applies otherwise. */
  builder?: string
  /** Milliseconds for each registry request. */
  registryTimeout?: number
}

const DOCKER_TIMEOUT = 15_000

function firstLine(text: string): string {
  return (
    text
      .trim()
      .split('\n')
      .find((line) => line.trim() !== '')
      ?.trim() ?? ''
  )
}

interface DockerVersionJson {
  Client?: {Version?: string; Context?: string}
  Server?: {Version?: string} | null
}

interface DockerInfoJson {
  ServerVersion?: string
  Driver?: string
  DriverStatus?: Array<[string, string]> | null
  ServerErrors?: string[]
}

function parseJson<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T
  } catch {
    return undefined
  }
}

async function probeDocker(options: ProbeOptions): Promise<{cli: ToolProbe; daemon: DaemonProbe}> {
  const env = options.env ?? process.env
  const version = await runDocker(['version', '--format', '{{json .}}'], {env, timeout: DOCKER_TIMEOUT})
  if (version.exitCode === 127 && !version.stdout) {
    return {cli: {ok: false, error: firstLine(version.stderr) || 'docker not found'}, daemon: {ok: false, error: 'no docker CLI'}}
  }
  const parsed = parseJson<DockerVersionJson>(firstLine(version.stdout))
  const cli: ToolProbe = {ok: true, version: parsed?.Client?.Version}
  const endpoint =
    env.DOCKER_HOST ??
    (env.DOCKER_CONTEXT ? `context ${env.DOCKER_CONTEXT}` : parsed?.Client?.Context ? `context ${parsed.Client.Context}` : undefined)
  if (version.exitCode !== 0 || !parsed?.Server) {
    return {cli, daemon: {ok: false, endpoint, error: firstLine(version.stderr) || `docker version exited ${version.exitCode}`}}
  }
  const info = await runDocker(['info', '--format', '{{json .}}'], {env, timeout: DOCKER_TIMEOUT})
  const infoJson = parseJson<DockerInfoJson>(firstLine(info.stdout))
  const daemon: DaemonProbe = {ok: true, endpoint, version: parsed.Server.Version ?? infoJson?.ServerVersion}
  if (infoJson?.Driver) daemon.driver = infoJson.Driver
  if (infoJson?.DriverStatus) daemon.driverStatus = infoJson.DriverStatus
  return {cli, daemon}
}

async function probeBuildx(env: NodeJS.ProcessEnv): Promise<ToolProbe> {
  const result = await runDocker(['buildx', 'version'], {env, timeout: DOCKER_TIMEOUT})
  if (result.exitCode !== 0) return {ok: false, error: firstLine(result.stderr) || 'docker buildx is not a docker command'}
  // "github.com/docker/buildx v0.13.1 <commit>" or "github.com/docker/buildx 0.13.1+ds1 0.13.1+ds1-3"
  const version = firstLine(result.stdout).split(/\s+/)[1]
  return {ok: true, version}
}

export {parseBuildxInspect}

async function probeBuilder(options: ProbeOptions): Promise<BuilderProbe> {
  const env = options.env ?? process.env
  const selected = options.builder !== undefined || Boolean(env.BUILDX_BUILDER)
  return inspectBuilder(env, options.builder, DOCKER_TIMEOUT).then(async (builder) => {
    if (!builder.ok) return {...builder, selected}
    // Debian's and Ubuntu's dockerd report BuildKit v0.0.0+unknown: the engine's version tells which it vendors
    const buildkit = await builderBuildkit(env, builder)
    return {...builder, selected, ...(buildkit.version ? {buildkitVersion: buildkit.version} : {}), buildkitFrom: buildkit.from}
  })
}

async function probeUmask(): Promise<string | undefined> {
  const result = await execa('sh', ['-c', 'umask'], {cwd: childDirectory(), reject: false})
  const digits = result.exitCode === 0 ? /^0*([0-7]{1,3})$/.exec(result.stdout.trim())?.[1] : undefined
  return digits?.padStart(3, '0')
}

/** The nearest `.dbuild.json` in a directory above `dir`, which no command reads outside a git work tree. */
function configAbove(dir: string): string | undefined {
  for (let at = path.dirname(path.resolve(dir)); ; at = path.dirname(at)) {
    if (existsSync(path.join(at, CONFIG_FILE))) return path.join(at, CONFIG_FILE)
    if (path.dirname(at) === at) return undefined
  }
}

function probeConfig(cwd: string, root: string | undefined): {probe: ConfigProbe; cacheFrom: string[]} {
  const inGitWorkTree = root !== undefined
  try {
    const loaded = findConfig(cwd, root)
    if (loaded.ignored) {
      const fix = 'Fix the owner or mode (chmod o-w) if the file is yours, or name it with --config on a build if you trust it.'
      return {probe: {inGitWorkTree, refused: {...loaded.ignored, fix}}, cacheFrom: []}
    }
    const above = !loaded.path && !inGitWorkTree ? configAbove(cwd) : undefined
    if (above) {
      // findConfig reads only the context's own directory outside git: a config in a shared directory
      // above could have been planted there. Say so, rather than "none found" with the file in plain sight.
      const reason = "outside a git work tree dbuild reads only the .dbuild.json of the context's own directory, never one above it"
      const fix = 'Run dbuild inside the git checkout that holds it, or name it with --config on a build if you trust it.'
      return {probe: {inGitWorkTree, refused: {path: above, reason, fix}}, cacheFrom: []}
    }
    const cacheTo = loaded.config.cacheTo ?? []
    return {
      probe: {inGitWorkTree, ...(loaded.path ? {path: loaded.path} : {}), ...(cacheTo.length > 0 ? {cacheTo} : {})},
      cacheFrom: loaded.config.cacheFrom ?? [],
    }
  } catch (error) {
    if (error instanceof DbuildError) return {probe: {inGitWorkTree, error: error.message}, cacheFrom: []}
    throw error
  }
}

/**
 * The registry host of a --cache-from spec (`type=registry,ref=HOST/repo:tag` or a bare reference),
 * or undefined for caches not kept in a registry (local, gha, s3, …). Docker Hub is registry-1.docker.io.
 */
export function registryHost(spec: string): string | undefined {
  const fields = spec.split(',').map((field) => field.trim())
  let ref: string | undefined
  if (fields.length === 1 && !fields[0]?.includes('=')) ref = fields[0]
  else {
    const values = new Map(fields.map((field) => [field.slice(0, field.indexOf('=')), field.slice(field.indexOf('=') + 1)]))
    if ((values.get('type') ?? 'registry') !== 'registry') return undefined
    ref = values.get('ref')
  }
  if (!ref) return undefined
  const first = ref.split('/')[0] ?? ''
  const hasHost = ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')
  return hasHost ? first : 'registry-1.docker.io'
}

type Reach = {reachable: 'unknown' | boolean; detail: string}

const OFFLINE_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'ENETDOWN', 'EHOSTUNREACH'])

async function getV2(url: string, timeout: number): Promise<Reach> {
  try {
    const response = await fetch(url, {signal: AbortSignal.timeout(timeout), redirect: 'manual'})
    await response.body?.cancel()
    // 401 asks for a login: the registry is there.
    const ok = response.status === 200 || response.status === 401
    return {reachable: ok, detail: `GET ${url} → ${response.status}`}
  } catch (error) {
    const cause = (error as {cause?: {code?: string; message?: string}}).cause
    const name = (error as Error).name
    if (name === 'TimeoutError' || name === 'AbortError') return {reachable: false, detail: `GET ${url}: no answer within ${timeout} ms`}
    const code = cause?.code ?? ''
    return {
      reachable: OFFLINE_CODES.has(code) ? 'unknown' : false,
      detail: `GET ${url}: ${code || cause?.message || (error as Error).message}`,
    }
  }
}

/** HTTPS first, then plain HTTP (local and insecure registries). */
export async function probeRegistry(host: string, timeout: number): Promise<Reach> {
  const https = await getV2(`https://${host}/v2/`, timeout)
  if (https.reachable !== false) return https
  const http = await getV2(`http://${host}/v2/`, timeout)
  return http.reachable === true ? http : https
}

async function probeRegistries(cacheFrom: string[], timeout: number): Promise<RegistryProbe[]> {
  const byHost = new Map<string, string[]>()
  for (const spec of cacheFrom) {
    const host = registryHost(spec)
    if (host) byHost.set(host, [...(byHost.get(host) ?? []), spec])
  }
  return Promise.all([...byHost].map(async ([host, specs]) => ({host, specs, ...(await probeRegistry(host, timeout))})))
}

export async function gatherProbes(options: ProbeOptions): Promise<Probes> {
  const env = options.env ?? process.env
  // a deleted working directory has no work tree and no config to report on; the machine's checks still run
  const root = options.cwd === undefined ? undefined : await gitRoot(options.cwd)
  const {probe: config, cacheFrom} =
    options.cwd === undefined ? {probe: {inGitWorkTree: false}, cacheFrom: []} : probeConfig(options.cwd, root)
  const [docker, buildx, builder, umask, modes, hooks, registries] = await Promise.all([
    probeDocker(options),
    probeBuildx(env),
    probeBuilder(options),
    probeUmask(),
    root === undefined ? undefined : findModeDrift(root),
    root === undefined ? undefined : locateHooks(root).then((location) => hookStatus(location)),
    probeRegistries(cacheFrom, options.registryTimeout ?? 3000),
  ])
  const shim = buildxShimStatus(dockerConfigDir(env))
  return {...docker, buildx, builder, umask, modes, hooks, config, registries, shim}
}
