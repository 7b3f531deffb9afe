// @ts-check
/**
 * A fully cached `dbuild build` against a fully cached plain `docker buildx build` on the
 * 20,000-file context (medians of runs taken in turn), and `dbuild --version` start-up.
 */
import {execFileSync} from 'node:child_process'
import os from 'node:os'
import path from 'node:path'
import {performance} from 'node:perf_hooks'
import {fileURLToPath} from 'node:url'

import {reachableEngine} from '../../examples/engine.js'
import {benchTree} from './tree.js'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const BIN = path.join(HERE, '..', '..', 'bin', 'run.js')
const RUNS = Number(process.env.DBUILD_BENCH_RUNS ?? 7)
const STARTUP_GOAL_MS = 150

/** @param {number[]} values */
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN

/** @param {() => unknown} fn */
function time(fn) {
  const start = performance.now()
  fn()
  return performance.now() - start
}

/**
 * Each round runs every contender once; the order flips every round, so neither always runs
 * right after the other (warm caches, a neighbour's load) and the medians stay comparable.
 * @param {Array<() => unknown>} contenders @param {number} [runs]
 */
function inTurn(contenders, runs = RUNS) {
  /** @type {number[][]} */
  const times = contenders.map(() => [])
  for (let round = 0; round < runs; round++) {
    const order = [...contenders.keys()]
    if (round % 2 === 1) order.reverse()
    for (const i of order) times[i]?.push(time(/** @type {() => unknown} */ (contenders[i])))
  }
  return times.map(median)
}

/** @param {{log: (name: string, value: string | number, ratio?: number, goal?: number) => void}} ctx */
export default async function buildBench(ctx) {
  const [nodeAlone, version] = inTurn([() => execFileSync(process.execPath, ['-e', '0']), () => execFileSync(process.execPath, [BIN, '--version'])], 15)
  ctx.log('node -e 0', nodeAlone)
  ctx.log(`dbuild --version (÷${STARTUP_GOAL_MS} ms)`, version, version / STARTUP_GOAL_MS, 1.0)

  let engine
  try {
    engine = await reachableEngine({log: (message) => console.log(`  ${message}`)})
  } catch (error) {
    ctx.log('cached build: skipped, no engine', String(/** @type {Error} */ (error).message).slice(0, 60))
    return
  }
  try {
    const context = await benchTree()
    const env = {...engine.env, DBUILD_CACHE_DIR: path.join(os.tmpdir(), 'dbuild-bench-build-cache')}
    delete env.CI
    const flags = ['--network=host', '--progress=plain', '--output', 'type=cacheonly']
    const plain = () => execFileSync('docker', ['buildx', 'build', ...flags, context], {env, stdio: 'ignore'})
    const dbuild = () => execFileSync(process.execPath, [BIN, 'build', ...flags, context], {env, stdio: 'ignore'})
    // fill both caches (the staged context has other modes than the umask 002 checkout)
    plain()
    dbuild()
    const [plainMs, dbuildMs] = inTurn([plain, dbuild])
    ctx.log('docker buildx build, fully cached', plainMs)
    ctx.log('dbuild build, fully cached', dbuildMs, dbuildMs / plainMs, 1.15)
  } finally {
    await engine.stop()
  }
}
