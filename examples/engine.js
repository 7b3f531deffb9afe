// @ts-check
/**
 * A build engine for the demo and the benchmark: the one docker already reaches (DOCKER_HOST,
 * DOCKER_CONTEXT, or the test engine in DBUILD_TEST_DOCKER_HOST), else the project's private
 * engine, started when allowed (root on Debian or Ubuntu) and stopped afterwards.
 */
import {execFileSync} from 'node:child_process'
import {existsSync} from 'node:fs'

import {LOCAL_BASE_IMAGE, dockerEnv, startEngine} from '../test/engine/engine.js'

/**
 * @typedef {object} DemoEngine
 * @property {NodeJS.ProcessEnv} env  environment for docker and dbuild
 * @property {string} description
 * @property {string} baseImage  a base image the engine has or can pull
 * @property {() => Promise<void>} stop
 */

/** @param {NodeJS.ProcessEnv} env @param {string[]} args */
function dockerOk(env, args) {
  try {
    execFileSync('docker', args, {env, stdio: 'ignore', timeout: 20_000})
    return true
  } catch {
    return false
  }
}

/** @param {NodeJS.ProcessEnv} env */
function reachable(env) {
  return dockerOk(env, ['info']) && dockerOk(env, ['buildx', 'version'])
}

/** @param {NodeJS.ProcessEnv} env */
function baseImageFor(env) {
  return dockerOk(env, ['image', 'inspect', LOCAL_BASE_IMAGE]) ? LOCAL_BASE_IMAGE : 'busybox:latest'
}

/**
 * @param {{log?: (message: string) => void}} [options]
 * @returns {Promise<DemoEngine>}
 */
export async function reachableEngine(options = {}) {
  const log = options.log ?? console.error
  const candidates = [
    {env: process.env, description: process.env.DOCKER_HOST ?? `docker context ${process.env.DOCKER_CONTEXT ?? 'default'}`},
  ]
  const testHost = process.env.DBUILD_TEST_DOCKER_HOST
  if (testHost) {
    const env = {...process.env, DOCKER_HOST: testHost}
    delete env.DOCKER_CONTEXT
    candidates.push({env, description: `${testHost} (DBUILD_TEST_DOCKER_HOST)`})
  }
  for (const candidate of candidates) {
    if (reachable(candidate.env)) return {...candidate, baseImage: baseImageFor(candidate.env), stop: async () => {}}
  }
  const mayStart = process.getuid?.() === 0 && existsSync('/etc/debian_version')
  if (!mayStart) {
    throw new Error(
      'no Docker engine with buildx is reachable: start Docker (or set DOCKER_HOST), or run as root on Debian/Ubuntu to use the private engine',
    )
  }
  log("no Docker engine reachable: starting the project's private engine (root, Debian/Ubuntu)…")
  const engine = await startEngine({containerd: false, registry: false, log})
  const host = /** @type {string} */ (engine.graphdriverHost)
  return {
    env: dockerEnv(host, /** @type {string} */ (engine.dockerConfig), engine.path),
    description: `the private engine at ${host}`,
    baseImage: engine.localBaseImage,
    stop: engine.stop,
  }
}
