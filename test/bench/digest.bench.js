// @ts-check
/**
 * The context digest on the 20,000-file checkout (tree.js), as processes in turn: `dbuild stage CTX`
 * with its stage warm but its content hashes gone (so every file is read and hashed: a cold digest)
 * against `sha256sum` over the same files. The warm stage with the digest is stage.bench.js's
 * figure: `dbuild stage` always computes it. Ends with an in-process breakdown.
 */
import {execFileSync} from 'node:child_process'
import {mkdirSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {performance} from 'node:perf_hooks'

import {digestEntries} from '../../dist/src/stage/digest.js'
import {walkContext} from '../../dist/src/stage/index.js'
import {dbuild} from './harness.js'
import {benchTree} from './tree.js'

const RUNS = Number(process.env.DBUILD_BENCH_RUNS ?? 9)

/** @param {import('./harness.js').Ctx} ctx */
export default async function digestBench(ctx) {
  const context = await benchTree()
  const work = path.join(os.tmpdir(), `dbuild-bench-digest-${process.pid}`)
  rmSync(work, {recursive: true, force: true})
  mkdirSync(work, {recursive: true})
  const env = {...process.env, DBUILD_CACHE_DIR: path.join(work, 'cache')}
  // the files the digest reads: everything but .git, which the context's .dockerignore excludes
  const list = path.join(work, 'files')
  writeFileSync(list, execFileSync('git', ['ls-files', '-z'], {cwd: context}))
  const stageDir = path.join(env.DBUILD_CACHE_DIR, 'stage')
  /** The content hashes and the last digest kept beside the stage: without them every file is read. */
  const forgetHashes = () => {
    for (const name of readdirSync(stageDir)) if (name.includes('.hashes')) rmSync(path.join(stageDir, name), {force: true})
  }
  try {
    execFileSync(process.execPath, dbuild('stage', context).slice(1), {env, stdio: 'ignore'})
    ctx.compare({
      name: 'cold digest: dbuild stage CTX, stage warm, content hashes gone vs sha256sum over the same files',
      subject: {label: 'dbuild stage CTX (cold digest)', argv: dbuild('stage', context), env, before: forgetHashes},
      contender: {label: 'sha256sum', argv: ['xargs', '-0', '-a', list, 'sha256sum'], cwd: context},
      runs: RUNS,
      warmup: 1,
      goal: 1.2,
    })

    // where a cold digest's time goes, in this already-started process
    const walk = []
    const digest = []
    for (let i = 0; i < Math.min(RUNS, 5); i++) {
      let start = performance.now()
      const walked = walkContext(context)
      walk.push(performance.now() - start)
      start = performance.now()
      digestEntries(walked.context, walked.entries)
      digest.push(performance.now() - start)
    }
    const median = (/** @type {number[]} */ values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN
    ctx.note('breakdown of a cold digest (not a process-level figure):')
    ctx.figure('  breakdown: walk of the context (in process)', `${median(walk).toFixed(0)} ms`)
    ctx.figure('  breakdown: read and hash every file, build and hash the lines (in process)', `${median(digest).toFixed(0)} ms`)
  } finally {
    rmSync(work, {recursive: true, force: true})
  }
}
