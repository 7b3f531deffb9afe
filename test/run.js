#!/usr/bin/env node
// @ts-check
/**
 * `npm test`: starts the private build engine, runs every test file with tap, stops the
 * engine, and ends with one plain line `N passed, N failed[, N skipped]`.
 *
 * Outside CI, an engine that cannot start skips the integration tests after one loud line.
 * In CI (CI=true) it fails the run. DBUILD_TEST_DOCKER_HOST (graphdriver daemon),
 * DBUILD_TEST_CONTAINERD_HOST and DBUILD_TEST_REGISTRY reuse engines that already run.
 */
import {spawn} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {createInterface} from 'node:readline'
import {fileURLToPath} from 'node:url'

import {startEngine, stopEngine} from './engine/engine.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const STATE_FILE = path.join(ROOT, '.tap', 'dbuild-engine.json')
const inCI = process.env.CI === 'true' || process.env.CI === '1'

/** @type {(Awaited<ReturnType<typeof startEngine>>) | undefined} */
let engine
/** dbuild's cache for the whole run, so tests never write into the user's ~/.cache/dbuild. @type {string | undefined} */
let cacheDir
let stopping = false

async function cleanup() {
  if (stopping) return
  stopping = true
  if (engine) await stopEngine(engine)
  rmSync(STATE_FILE, {force: true})
  if (cacheDir) rmSync(cacheDir, {recursive: true, force: true})
}

/** @returns {Promise<object>} the state the tests read through test/engine/index.ts */
async function engineState() {
  if (process.env.DBUILD_TEST_DOCKER_HOST) {
    console.error(`dbuild tests: reusing the engine at ${process.env.DBUILD_TEST_DOCKER_HOST}`)
    return {available: true, reused: true}
  }
  try {
    const started = Date.now()
    engine = await startEngine({log: (m) => console.error(m)})
    console.error(`dbuild tests: engine up in ${((Date.now() - started) / 1000).toFixed(1)}s (graphdriver + containerd daemons, registry ${engine.registry})`)
    const {stop: _stop, ...state} = engine
    return state
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    if (inCI) {
      console.error(`dbuild tests: FAILED to start the build engine in CI: ${reason}`)
      console.log('0 passed, 1 failed')
      process.exit(1)
    }
    console.error(`\n!!!!! dbuild tests: NO BUILD ENGINE, integration tests are SKIPPED: ${reason.split('\n')[0]} !!!!!\n`)
    return {available: false, reason, pids: []}
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

async function main() {
  mkdirSync(path.dirname(STATE_FILE), {recursive: true})
  writeFileSync(STATE_FILE, JSON.stringify(await engineState(), null, 2))

  const tapBin = path.join(ROOT, 'node_modules', '.bin', 'tap')
  const files = process.argv.slice(2)
  cacheDir = mkdtempSync(path.join(os.tmpdir(), 'dbuild-test-cache-'))
  const env = {...process.env, DBUILD_CACHE_DIR: cacheDir}
  const child = spawn(tapBin, ['-R', 'tap', ...files], {cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit']})
  for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
    process.on(signal, () => {
      child.kill(signal)
    })
  }
  const {totals, add} = counter()
  const lines = createInterface({input: /** @type {import('node:stream').Readable} */ (child.stdout)})
  lines.on('line', (line) => {
    console.log(line)
    add(line)
  })
  const code = await new Promise((resolve) => child.on('close', (c, signal) => resolve(c ?? (signal ? 1 : 0))))
  await cleanup()
  if (code !== 0 && totals.failed === 0) totals.failed = 1 // tap itself failed (a crash, a bail-out)
  const skipped = totals.skipped ? `, ${totals.skipped} skipped` : ''
  console.log(`${totals.passed} passed, ${totals.failed} failed${skipped}`)
  process.exit(totals.failed > 0 ? 1 : 0)
}

main().catch(async (error) => {
  console.error(error)
  await cleanup()
  console.log('0 passed, 1 failed')
  process.exit(1)
})
