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

/** @param {string} cmd */
function have(cmd) {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
}

function missingPackages() {
  const missing = ['dockerd', 'containerd', 'runc', 'docker-registry', 'docker'].filter((b) => !have(b))
  if (!existsSync('/bin/busybox')) missing.push('busybox')
  if (missing.length === 0) {
    try {
      execFileSync('docker', ['buildx', 'version'], {stdio: 'ignore'})
    } catch {
      missing.push('docker-buildx')
    }
  }
  return missing
}

/** Installs what is missing from Debian packages when root; otherwise says what to install. */
export function ensureInstalled(log = console.error) {
  const missing = missingPackages()
  if (missing.length === 0) return
  if (process.getuid?.() !== 0) {
    throw new Error(`the build engine needs ${missing.join(', ')}; run as root to install them from Debian packages`)
  }
  log(`dbuild engine: installing ${missing.join(', ')} from Debian packages (about a minute)…`)
  execFileSync('sh', [path.join(HERE, 'install.sh')], {stdio: ['ignore', 'inherit', 'inherit']})
  const still = missingPackages()
  if (still.length > 0) throw new Error(`the build engine is still missing ${still.join(', ')} after installing`)
}

/** @returns {Promise<number>} a free TCP port on 127.0.0.1 */
function freePort() {
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
 * @param {string} cmd @param {string[]} args @param {string} logFile
 */
function startDetached(cmd, args, logFile) {
  const fd = openSync(logFile, 'a')
  const child = spawn(cmd, args, {detached: true, stdio: ['ignore', fd, fd]})
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
  const applets = execFileSync('/bin/busybox', ['--list'], {encoding: 'utf8'}).split('\n').filter((a) => a && a !== 'busybox')
  for (const applet of applets) symlinkSync('busybox', path.join(dir, 'bin', applet))
  writeFileSync(path.join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n')
  writeFileSync(path.join(dir, 'etc/group'), 'root:x:0:\napp:x:1000:\nusers:x:100:app\nnogroup:x:65534:\n')
  chownSync(path.join(dir, 'home/app'), 1000, 1000)
  chmodSync(path.join(dir, 'tmp'), 0o1777)
}

/**
 * @param {string} host DOCKER_HOST value
 * @param {string} dockerConfig DOCKER_CONFIG directory
 */
export function dockerEnv(host, dockerConfig) {
  /** @type {NodeJS.ProcessEnv} */
  const env = {...process.env, DOCKER_HOST: host, DOCKER_CONFIG: dockerConfig}
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
 * @typedef {object} EngineOptions
 * @property {boolean} [graphdriver] start the overlay2 (graphdriver store) daemon; default true
 * @property {boolean} [containerd] start the containerd image store daemon; default true
 * @property {boolean} [registry] start docker-registry; default true (needed for the shared base image)
 * @property {(message: string) => void} [log]
 *
 * @typedef {object} EngineState
 * @property {boolean} available
 * @property {string} [reason]
 * @property {string} [graphdriverHost]
 * @property {string} [containerdHost]
 * @property {string} [registry]
 * @property {string} [dockerConfig]
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
  const {graphdriver = true, containerd = true, registry = true, log = console.error} = options
  ensureInstalled(log)
  // Unix socket paths are limited to 108 bytes: keep the base short.
  const dir = await mkdtemp(path.join(existsSync('/tmp') ? '/tmp' : os.tmpdir(), 'dbe-'))
  /** @type {EngineState} */
  const state = {available: false, pids: [], dir, localBaseImage: LOCAL_BASE_IMAGE, dockerConfig: path.join(dir, 'docker-config')}
  mkdirSync(/** @type {string} */ (state.dockerConfig), {recursive: true})
  const stop = () => stopEngine(state)
  try {
    /** @param {'g' | 'c'} name @param {object} daemonJson */
    const startDaemon = async (name, daemonJson) => {
      const root = path.join(dir, name)
      mkdirSync(path.join(root, 'data'), {recursive: true})
      mkdirSync(path.join(root, 'exec'), {recursive: true})
      writeFileSync(path.join(root, 'daemon.json'), JSON.stringify(daemonJson))
      const socket = path.join(root, 'docker.sock')
      const logFile = path.join(root, 'dockerd.log')
      const pid = startDetached(
        'dockerd',
        [
          '--config-file', path.join(root, 'daemon.json'),
          '--data-root', path.join(root, 'data'),
          '--exec-root', path.join(root, 'exec'),
          '--pidfile', path.join(root, 'docker.pid'),
          '-H', `unix://${socket}`,
          '--iptables=false', '--ip6tables=false', '--bridge=none',
        ],
        logFile,
      )
      state.pids.push(pid)
      await waitFor(async () => (await httpStatus({socketPath: socket, path: '/_ping'})) === 200, `dockerd (${name})`, 60_000, () => tail(logFile))
      return `unix://${socket}`
    }
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
      const config = `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${regDir}/data\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n`
      writeFileSync(path.join(regDir, 'config.yml'), config)
      const logFile = path.join(regDir, 'registry.log')
      state.pids.push(startDetached('docker-registry', ['serve', path.join(regDir, 'config.yml')], logFile))
      await waitFor(async () => (await httpStatus({host: '127.0.0.1', port, path: '/v2/'})) === 200, 'docker-registry', 30_000, () => tail(logFile))
      state.registry = `127.0.0.1:${port}`
    }

    // One base image, pushed once and pulled by the other daemon, so both hold the same digest.
    const rootfs = path.join(dir, 'rootfs')
    makeRootfs(rootfs)
    const tar = execFileSync('tar', ['-C', rootfs, '-c', '.'], {maxBuffer: 64 << 20})
    const hosts = /** @type {string[]} */ ([state.graphdriverHost, state.containerdHost].filter(Boolean))
    const [first, ...rest] = hosts.map((h) => dockerEnv(h, /** @type {string} */ (state.dockerConfig)))
    if (!first) throw new Error('no daemon was requested')
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
      for (const m of mounts.split('\n').map((s) => s.trim()).filter(Boolean)) {
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
