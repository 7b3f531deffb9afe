// @ts-check
/**
 * The project's private build engine: Docker daemons and a registry on private paths.
 *
 * Plain JavaScript so that the test runner, the demo and the benchmark can all start it
 * without a TypeScript loader. Everything it starts is stopped by pid in `stop()`.
 */
import {spawn, execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, openSync, writeFileSync, symlinkSync, copyFileSync, chmodSync, chownSync, closeSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const HERE = path.dirname(fileURLToPath(import.meta.url))
export const LOCAL_BASE_IMAGE = 'dbuild-test/base:latest'

/** Where install.sh unpacks the engines that are not installed system-wide (and the runner puts Node 24). */
export const ENGINES_DIR = process.env.DBUILD_TEST_ENGINES_DIR ?? '/opt/dbuild-test-engines'

/**
 * The engines the tests run on:
 * - floor: the oldest supported, installed system-wide: Docker 26.1 and buildx 0.13 from trixie,
 *   the host's containerd and runc.
 * - current: what teams run today, unpacked beside it from forky: Docker 28.5, buildx 0.29,
 *   containerd 2.1, Compose 2.40 (runc from forky where it runs on the host's glibc, else the host's).
 * @typedef {'floor' | 'current'} Flavor
 */
export const FLAVORS = /** @type {const} */ (['floor', 'current'])

/**
 * The binaries that select a flavor: `bin` goes first in PATH (docker, dockerd, containerd…) and
 * `plugins` are linked into the engine's DOCKER_CONFIG/cli-plugins, which docker searches first.
 * The floor's bin holds only its docker CLI: another docker client may come first in PATH
 * (/usr/local/bin/docker), and the floor's daemon binaries are the system's.
 * @param {Flavor} flavor
 * @returns {{bin: string | undefined, links: Record<string, string>, plugins: Record<string, string>}}
 */
function flavorFiles(flavor) {
  if (flavor === 'current') {
    const root = path.join(ENGINES_DIR, 'forky')
    return {
      bin: path.join(root, 'bin'),
      links: {},
      plugins: {
        'docker-buildx': path.join(root, 'cli-plugins', 'docker-buildx'),
        'docker-compose': path.join(root, 'cli-plugins', 'docker-compose'),
      },
    }
  }
  /** @type {Record<string, string>} */
  const plugins = {}
  for (const name of ['docker-buildx', 'docker-compose']) {
    const found = ['/usr/libexec/docker/cli-plugins', '/usr/lib/docker/cli-plugins']
      .map((d) => path.join(d, name))
      .find((f) => existsSync(f))
    if (found) plugins[name] = found
  }
  return {bin: undefined, links: {docker: '/usr/bin/docker'}, plugins}
}

/** @param {string} cmd */
function have(cmd) {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
}

/** @param {Flavor} flavor */
function missingPackages(flavor) {
  const missing = ['dockerd', 'containerd', 'runc', 'docker-registry'].filter((b) => !have(b))
  if (!existsSync('/bin/busybox')) missing.push('busybox')
  if (flavor === 'current') {
    if (!existsSync(path.join(ENGINES_DIR, 'forky', 'complete')))
      missing.push(`forky's docker.io, docker-buildx, containerd and docker-compose in ${ENGINES_DIR}/forky`)
  } else if (!existsSync('/usr/bin/docker')) {
    missing.push('docker-cli')
  } else if (missing.length === 0) {
    try {
      execFileSync('/usr/bin/docker', ['buildx', 'version'], {stdio: 'ignore'})
    } catch {
      missing.push('docker-buildx')
    }
  }
  return missing
}

/**
 * Installs what a flavor is missing from Debian packages when root; otherwise says what to install.
 * @param {(message: string) => void} [log] @param {Flavor} [flavor]
 */
export function ensureInstalled(log = console.error, flavor = 'floor') {
  const missing = missingPackages(flavor)
  if (missing.length === 0) return
  if (process.getuid?.() !== 0) {
    throw new Error(
      `the ${flavor} build engine needs ${missing.join(', ')}; run as root to install them from Debian packages (test/engine/install.sh)`,
    )
  }
  log(`dbuild engine: installing ${missing.join(', ')} from Debian packages (about a minute)…`)
  execFileSync('sh', [path.join(HERE, 'install.sh'), flavor], {stdio: ['ignore', 'inherit', 'inherit']})
  const still = missingPackages(flavor)
  if (still.length > 0) throw new Error(`the ${flavor} build engine is still missing ${still.join(', ')} after installing`)
}

/** @returns {Promise<number>} a free TCP port on 127.0.0.1 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

/**
 * @typedef {object} RegistryConfig
 * @property {string} dir the registry keeps its blobs and manifests in DIR/data
 * @property {number} port it listens on 127.0.0.1:PORT
 * @property {boolean} [deletes] allow deleting manifests and blobs
 * @property {boolean} [readOnly] refuse every push (maintenance read-only mode)
 * @property {Record<string, Record<string, string>>} [auth] docker-registry's `auth:` section: one
 *   access controller (htpasswd, token) and its settings
 */

/**
 * The config.yml of a docker-registry (distribution) on a loopback port.
 * @param {RegistryConfig} options
 */
export function registryConfig({dir, port, deletes = false, readOnly = false, auth}) {
  const lines = ['version: 0.1', 'log:', '  level: warn', 'storage:', '  filesystem:', `    rootdirectory: ${dir}/data`]
  if (deletes) lines.push('  delete:', '    enabled: true')
  if (readOnly) lines.push('  maintenance:', '    readonly:', '      enabled: true')
  if (auth) {
    lines.push('auth:')
    for (const [controller, settings] of Object.entries(auth)) {
      lines.push(`  ${controller}:`, ...Object.entries(settings).map(([key, value]) => `    ${key}: ${value}`))
    }
  }
  lines.push('http:', `  addr: 127.0.0.1:${port}`, '')
  return lines.join('\n')
}

/**
 * @param {http.RequestOptions} options
 * @returns {Promise<number>} the HTTP status, or 0 when nothing answers
 */
function httpStatus(options) {
  return new Promise((resolve) => {
    const request = http.get({...options, timeout: 2000}, (response) => {
      response.resume()
      resolve(response.statusCode ?? 0)
    })
    request.on('error', () => resolve(0))
    request.on('timeout', () => {
      request.destroy()
      resolve(0)
    })
  })
}

/**
 * @param {() => Promise<boolean>} ready
 * @param {string} what
 * @param {number} ms
 * @param {() => string} [diagnose]
 */
async function waitFor(ready, what, ms, diagnose) {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await ready()) return
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`${what} did not become ready in ${ms / 1000}s${diagnose ? `\n${diagnose()}` : ''}`)
}

/** @param {string} file */
function tail(file) {
  try {
    return execFileSync('tail', ['-n', '20', file], {encoding: 'utf8'})
  } catch {
    return ''
  }
}

/**
 * Starts a detached process in its own process group, logging to a file.
 * @param {string} cmd @param {string[]} args @param {string} logFile @param {NodeJS.ProcessEnv} [env]
 */
function startDetached(cmd, args, logFile, env = process.env) {
  const fd = openSync(logFile, 'a')
  const child = spawn(cmd, args, {detached: true, stdio: ['ignore', fd, fd], env})
  closeSync(fd)
  child.unref()
  if (!child.pid) throw new Error(`could not start ${cmd}`)
  return child.pid
}

/** A busybox rootfs with a non-root user app = 1000:1000. @param {string} dir */
function makeRootfs(dir) {
  for (const d of ['bin', 'etc', 'tmp', 'root', 'home/app', 'var', 'usr/bin']) mkdirSync(path.join(dir, d), {recursive: true})
  copyFileSync('/bin/busybox', path.join(dir, 'bin/busybox'))
  chmodSync(path.join(dir, 'bin/busybox'), 0o755)
  const applets = execFileSync('/bin/busybox', ['--list'], {encoding: 'utf8'})
    .split('\n')
    .filter((a) => a && a !== 'busybox')
  for (const applet of applets) symlinkSync('busybox', path.join(dir, 'bin', applet))
  writeFileSync(
    path.join(dir, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
  )
  writeFileSync(path.join(dir, 'etc/group'), 'root:x:0:\napp:x:1000:\nusers:x:100:app\nnogroup:x:65534:\n')
  chownSync(path.join(dir, 'home/app'), 1000, 1000)
  chmodSync(path.join(dir, 'tmp'), 0o1777)
}

/**
 * The environment that points docker, buildx and dbuild at one daemon of one flavor.
 * @param {string} host DOCKER_HOST value
 * @param {string} dockerConfig DOCKER_CONFIG directory (its cli-plugins select the flavor's buildx)
 * @param {string} [pathValue] PATH with the flavor's bin directory first
 */
export function dockerEnv(host, dockerConfig, pathValue) {
  /** @type {NodeJS.ProcessEnv} */
  const env = {...process.env, DOCKER_HOST: host, DOCKER_CONFIG: dockerConfig}
  if (pathValue) env.PATH = pathValue
  delete env.DOCKER_CONTEXT
  delete env.BUILDX_BUILDER
  return env
}

/**
 * @param {NodeJS.ProcessEnv} env @param {string[]} args @param {{input?: Buffer}} [options]
 */
function docker(env, args, options = {}) {
  return execFileSync('docker', args, {env, input: options.input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 64 << 20})
}

/**
 * @typedef {object} DockerdOptions
 * @property {string} root its daemon.json, data and exec roots, pid file, log and socket go here
 * @property {object} daemonJson
 * @property {NodeJS.ProcessEnv} env dockerd finds containerd, its shim and runc through PATH
 * @property {number[]} pids its pid is added here as soon as it starts, for stopEngine, even if it never answers
 * @property {string[]} [hosts] more addresses to listen on (`tcp://IP:PORT`, without TLS)
 * @property {string[]} [launcher] a command that runs dockerd, e.g. nsenter into a network namespace
 * @property {number} [timeout] how long it may take to answer, in ms (default 60 s)
 */

/**
 * Starts a dockerd in its own process group with everything below `root`, and resolves with its
 * unix socket's DOCKER_HOST once it answers there.
 * @param {DockerdOptions} options
 * @returns {Promise<string>}
 */
export async function startDockerd({root, daemonJson, env, pids, hosts = [], launcher = [], timeout = 60_000}) {
  mkdirSync(path.join(root, 'data'), {recursive: true})
  mkdirSync(path.join(root, 'exec'), {recursive: true})
  writeFileSync(path.join(root, 'daemon.json'), JSON.stringify(daemonJson))
  const socket = path.join(root, 'docker.sock')
  const logFile = path.join(root, 'dockerd.log')
  const args = [
    '--config-file',
    path.join(root, 'daemon.json'),
    '--data-root',
    path.join(root, 'data'),
    '--exec-root',
    path.join(root, 'exec'),
    '--pidfile',
    path.join(root, 'docker.pid'),
    '-H',
    `unix://${socket}`,
    ...hosts.flatMap((host) => ['-H', host]),
    // dockerd will not listen on TCP without TLS unless told to
    ...(hosts.length > 0 ? ['--tls=false'] : []),
    '--iptables=false',
    '--ip6tables=false',
    '--bridge=none',
  ]
  const [command = 'dockerd', ...commandArgs] = [...launcher, 'dockerd', ...args]
  pids.push(startDetached(command, commandArgs, logFile, env))
  await waitFor(
    async () => (await httpStatus({socketPath: socket, path: '/_ping'})) === 200,
    `dockerd (${root})`,
    timeout,
    () => tail(logFile),
  )
  return `unix://${socket}`
}

/**
 * @typedef {object} EngineOptions
 * @property {boolean} [graphdriver] start the overlay2 (graphdriver store) daemon; default true
 * @property {boolean} [containerd] start the containerd image store daemon; default true
 * @property {boolean} [registry] start docker-registry; default true (needed for the shared base image)
 * @property {Flavor} [flavor] which engine: 'floor' (default) or 'current'
 * @property {(message: string) => void} [log]
 *
 * @typedef {object} EngineVersions what actually runs, as the daemon and the CLI report it
 * @property {string} dockerClient
 * @property {string} dockerServer
 * @property {string} buildx
 * @property {string} containerd
 * @property {string} runc
 * @property {string} [compose]
 *
 * @typedef {object} EngineState
 * @property {boolean} available
 * @property {string} [reason]
 * @property {string} [graphdriverHost]
 * @property {string} [containerdHost]
 * @property {string} [registry]
 * @property {string} [dockerConfig] DOCKER_CONFIG whose cli-plugins/ hold the flavor's buildx (and compose)
 * @property {Flavor} [flavor]
 * @property {EngineVersions} [versions]
 * @property {string} [path] PATH that selects the flavor's docker CLI (and daemons) first
 * @property {string} [baseImage]
 * @property {string} localBaseImage
 * @property {number[]} pids
 * @property {string} [dir]
 */

/**
 * Starts the private engine. Throws (after stopping what it started) when anything fails.
 * @param {EngineOptions} [options]
 * @returns {Promise<EngineState & {stop: () => Promise<void>}>}
 */
export async function startEngine(options = {}) {
  const {graphdriver = true, containerd = true, registry = true, flavor = 'floor', log = console.error} = options
  if (!FLAVORS.includes(flavor)) throw new Error(`unknown engine flavor ${JSON.stringify(flavor)}: expected ${FLAVORS.join(' or ')}`)
  ensureInstalled(log, flavor)
  // Unix socket paths are limited to 108 bytes: keep the base short.
  const dir = await mkdtemp(path.join(existsSync('/tmp') ? '/tmp' : os.tmpdir(), 'dbe-'))
  const dockerConfig = path.join(dir, 'docker-config')
  const files = flavorFiles(flavor)
  const bin = files.bin ?? path.join(dir, 'bin')
  mkdirSync(bin, {recursive: true})
  for (const [name, target] of Object.entries(files.links)) symlinkSync(target, path.join(bin, name))
  linkPlugins(dockerConfig, flavor)
  const pathValue = [bin, process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'].join(':')
  /** @type {EngineState} */
  const state = {available: false, pids: [], dir, localBaseImage: LOCAL_BASE_IMAGE, dockerConfig, flavor, path: pathValue}
  const stop = () => stopEngine(state)
  // dockerd finds containerd, its shim and runc through PATH: the flavor's come first.
  const daemonEnv = {...process.env, PATH: pathValue}
  try {
    /** @param {'g' | 'c'} name @param {object} daemonJson */
    const startDaemon = (name, daemonJson) => startDockerd({root: path.join(dir, name), daemonJson, env: daemonEnv, pids: state.pids})
    const started = await Promise.all([
      graphdriver ? startDaemon('g', {}) : undefined,
      containerd ? startDaemon('c', {features: {'containerd-snapshotter': true}}) : undefined,
    ])
    state.graphdriverHost = started[0]
    state.containerdHost = started[1]

    if (registry) {
      const port = await freePort()
      const regDir = path.join(dir, 'registry')
      mkdirSync(regDir, {recursive: true})
      writeFileSync(path.join(regDir, 'config.yml'), registryConfig({dir: regDir, port, deletes: true}))
      const logFile = path.join(regDir, 'registry.log')
      state.pids.push(startDetached('docker-registry', ['serve', path.join(regDir, 'config.yml')], logFile))
      await waitFor(
        async () => (await httpStatus({host: '127.0.0.1', port, path: '/v2/'})) === 200,
        'docker-registry',
        30_000,
        () => tail(logFile),
      )
      state.registry = `127.0.0.1:${port}`
    }

    // One base image, pushed once and pulled by the other daemon, so both hold the same digest.
    const rootfs = path.join(dir, 'rootfs')
    makeRootfs(rootfs)
    const tar = execFileSync('tar', ['-C', rootfs, '-c', '.'], {maxBuffer: 64 << 20})
    const hosts = /** @type {string[]} */ ([state.graphdriverHost, state.containerdHost].filter(Boolean))
    const [first, ...rest] = hosts.map((h) => dockerEnv(h, dockerConfig, pathValue))
    if (!first) throw new Error('no daemon was requested')
    state.versions = versionsOf(first)
    docker(first, ['import', '-c', 'ENV PATH=/usr/bin:/bin', '-', LOCAL_BASE_IMAGE], {input: tar})
    if (state.registry) {
      state.baseImage = `${state.registry}/${LOCAL_BASE_IMAGE}`
      docker(first, ['tag', LOCAL_BASE_IMAGE, state.baseImage])
      docker(first, ['push', '-q', state.baseImage])
      for (const env of rest) {
        docker(env, ['pull', '-q', state.baseImage])
        docker(env, ['tag', state.baseImage, LOCAL_BASE_IMAGE])
      }
    } else {
      for (const env of rest) docker(env, ['import', '-c', 'ENV PATH=/usr/bin:/bin', '-', LOCAL_BASE_IMAGE], {input: tar})
    }
    state.available = true
    return Object.assign(state, {stop})
  } catch (error) {
    await stop()
    throw error
  }
}

/**
 * Links a flavor's buildx (and compose) into DOCKER_CONFIG/cli-plugins, where docker looks before
 * the system's plugin directories; a test that needs a DOCKER_CONFIG of its own calls this on it.
 * @param {string} dockerConfig @param {Flavor} flavor
 */
export function linkPlugins(dockerConfig, flavor) {
  const plugins = path.join(dockerConfig, 'cli-plugins')
  mkdirSync(plugins, {recursive: true})
  for (const [name, target] of Object.entries(flavorFiles(flavor).plugins)) {
    if (!existsSync(path.join(plugins, name))) symlinkSync(target, path.join(plugins, name))
  }
}

/**
 * What runs, as docker reports it (the daemon names the containerd and runc it talks to).
 * @param {NodeJS.ProcessEnv} env
 * @returns {EngineVersions}
 */
export function versionsOf(env) {
  const version = JSON.parse(docker(env, ['version', '--format', '{{json .}}']))
  /** @param {string} name */
  const component = (name) =>
    /** @type {{Name: string, Version: string}[]} */ (version.Server?.Components ?? []).find((c) => c.Name.toLowerCase() === name)
      ?.Version ?? 'unknown'
  const buildx = docker(env, ['buildx', 'version']).trim().split(/\s+/)[1] ?? 'unknown'
  /** @type {EngineVersions} */
  const versions = {
    dockerClient: version.Client?.Version ?? 'unknown',
    dockerServer: version.Server?.Version ?? 'unknown',
    buildx,
    containerd: component('containerd'),
    runc: component('runc'),
  }
  try {
    versions.compose = docker(env, ['compose', 'version', '--short']).trim()
  } catch {
    /* this flavor has no compose plugin */
  }
  return versions
}

/** @param {number} pid */
function alive(pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/**
 * Stops every process the engine started (its whole process group), then removes its files.
 * @param {Pick<EngineState, 'pids' | 'dir'>} state
 */
export async function stopEngine(state) {
  for (const pid of state.pids) {
    try {
      process.kill(-pid, 'SIGTERM')
    } catch {
      /* already gone */
    }
  }
  const deadline = Date.now() + 20_000
  while (state.pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
  for (const pid of state.pids.filter(alive)) {
    try {
      process.kill(-pid, 'SIGKILL')
    } catch {
      /* gone */
    }
  }
  if (state.dir && existsSync(state.dir)) {
    // dockerd unmounts on a clean stop; anything still mounted below is unmounted before removal.
    try {
      const mounts = execFileSync('sh', ['-c', `grep -o " ${state.dir}[^ ]*" /proc/mounts | sort -r`], {encoding: 'utf8'})
      for (const m of mounts
        .split('\n')
        .map((s) => s.trim())
        .filter(Boolean)) {
        try {
          execFileSync('umount', ['-l', m], {stdio: 'ignore'})
        } catch {
          /* best effort */
        }
      }
    } catch {
      /* nothing mounted */
    }
    await rm(state.dir, {recursive: true, force: true, maxRetries: 3}).catch(() => undefined)
  }
  state.pids = state.pids.filter(alive)
}
