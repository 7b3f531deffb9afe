// @ts-check
/**
 * Staging speed against the obvious tools, medians of runs taken in turn:
 * warm stage vs `rsync -a --delete` (nothing changed), cold stage vs `cp -a`, and a warm stage of
 * the context plus an ignored 100,000-file node_modules vs the context without it.
 */
import {execFileSync} from 'node:child_process'
import {readdirSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {performance} from 'node:perf_hooks'
import {setTimeout as sleep} from 'node:timers/promises'

import {stageContext} from '../../dist/src/stage/index.js'
import {benchTree} from './tree.js'

const RUNS = Number(process.env.DBUILD_BENCH_RUNS ?? 5)

/** @param {number[]} values */
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN

/** @param {() => unknown} fn */
async function time(fn) {
  const start = performance.now()
  await fn()
  return performance.now() - start
}

/**
 * Runs each contender once per round, in turn, and returns the medians.
 * @param {Array<{setup?: () => void, run: () => unknown}>} contenders
 */
async function inTurn(contenders) {
  /** @type {number[][]} */
  const times = contenders.map(() => [])
  for (let round = 0; round < RUNS; round++) {
    for (const [i, contender] of contenders.entries()) {
      contender.setup?.()
      times[i]?.push(await time(contender.run))
    }
  }
  return times.map(median)
}

/** @param {{log: (name: string, value: string | number, ratio?: number, goal?: number) => void}} ctx */
export default async function stageBench(ctx) {
  const context = await benchTree()
  const withIgnored = await benchTree({ignoredFiles: 100_000})
  const work = path.join(os.tmpdir(), `dbuild-bench-stage-${process.pid}`)
  rmSync(work, {recursive: true, force: true})
  const stageDir = path.join(work, 'stage')
  const ignoredStageDir = path.join(work, 'stage-ignored')
  const rsyncDir = path.join(work, 'rsync')
  const cpDir = path.join(work, 'cp')
  // the same paths the stage holds: rsync and cp skip .git, which .dockerignore excludes
  const topLevel = readdirSync(context).filter((name) => name !== '.git').map((name) => path.join(context, name))
  const stage = (dir = stageDir, from = context) => stageContext({context: from, out: dir})
  const rsync = () => execFileSync('rsync', ['-a', '--delete', '--exclude=/.git', '--exclude=/node_modules', `${context}/`, `${rsyncDir}/`])
  const cp = () => execFileSync('cp', ['-a', ...topLevel, cpDir], {stdio: 'ignore'})

  try {
    const first = await stage()
    ctx.log(`context: ${first.files} files`, `${(first.bytes / 1e6).toFixed(0)} MB`)
    rsync()
    // the stage `dbuild build` uses: under the cache directory, where its record spares the stage's lstats
    const cacheStage = () => stageContext({context, env: {DBUILD_CACHE_DIR: path.join(work, 'cache')}})
    for (let i = 0; i < 3; i++) {
      await cacheStage()
      await sleep(30) // past the clock tick of the last write, so its listings and record settle
    }
    const [warm, rsynced, recorded] = await inTurn([{run: () => stage()}, {run: rsync}, {run: cacheStage}])
    ctx.log('rsync -a --delete, nothing changed', rsynced)
    ctx.log('warm stage, nothing changed', warm, warm / rsynced, 1.0)
    ctx.log('warm cache stage (record), nothing changed', recorded, recorded / rsynced)

    const [cold, copied] = await inTurn([
      {setup: () => rmSync(stageDir, {recursive: true, force: true}), run: () => stage()},
      {setup: () => rmSync(cpDir, {recursive: true, force: true}) ?? execFileSync('mkdir', ['-p', cpDir]), run: cp},
    ])
    ctx.log('cp -a', copied)
    ctx.log('cold stage', cold, cold / copied, 1.5)

    await stage(ignoredStageDir, withIgnored)
    const [plain, ignored] = await inTurn([{run: () => stage()}, {run: () => stage(ignoredStageDir, withIgnored)}])
    ctx.log('warm stage, context alone', plain)
    ctx.log('warm stage, + ignored 100k-file node_modules', ignored, ignored / plain, 1.1)
  } finally {
    rmSync(work, {recursive: true, force: true})
  }
}
