// @ts-check
/**
 * A fully cached `dbuild build` against a fully cached plain `docker buildx build` of the
 * 20,000-file checkout, both as processes in turn, on the engine docker reaches (DOCKER_HOST, the
 * test engine in DBUILD_TEST_DOCKER_HOST), else on the project's private engine, started here and
 * stopped afterwards as the demo does. Goal: ≤ 1.15×.
 */
import {execFileSync} from 'node:child_process'
import os from 'node:os'
import path from 'node:path'

import {reachableEngine} from '../../examples/engine.js'
import {dbuild} from './harness.js'
import {benchTree} from './tree.js'

const RUNS = Number(process.env.DBUILD_BENCH_RUNS ?? 9)

/** @param {import('./harness.js').Ctx} ctx */
export default async function buildBench(ctx) {
  let engine
  try {
    engine = await reachableEngine({log: (message) => ctx.note(message)})
  } catch (error) {
    ctx.note(`cached build: not measured, no engine (${String(/** @type {Error} */ (error).message)})`)
    return
  }
  try {
    ctx.note(`engine: ${engine.description}`)
    const context = await benchTree()
    const env = {...engine.env, DBUILD_CACHE_DIR: path.join(os.tmpdir(), 'dbuild-bench-build-cache')}
    delete env.CI
    const flags = ['--network=host', '--progress=plain', '--output', 'type=cacheonly']
    const plain = {label: 'docker buildx build', argv: ['docker', 'buildx', 'build', ...flags, context], env}
    const ours = {label: 'dbuild build', argv: dbuild('build', ...flags, context), env}
    // fill both caches (the staged context has other modes than the umask 002 checkout)
    for (const command of [plain, ours]) execFileSync(command.argv[0] ?? '', command.argv.slice(1), {env, stdio: 'ignore'})
    ctx.compare({
      name: 'fully cached dbuild build vs fully cached docker buildx build',
      subject: ours,
      contender: plain,
      runs: RUNS,
      warmup: 1,
      goal: 1.15,
    })
  } finally {
    await engine.stop()
  }
}
