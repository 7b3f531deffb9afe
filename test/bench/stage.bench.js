// @ts-check
/**
 * `dbuild stage CTX` as a process against the obvious tools as processes, on the 20,000-file
 * checkout (tree.js), in turn: a warm stage (nothing changed) against `rsync -a --delete`, a cold
 * stage against `cp -a`, and a warm stage of the context plus an ignored 100,000-file node_modules
 * against the context alone. The stage is the one `dbuild stage CTX` and `dbuild build` use (under
 * the cache directory); `--out DIR` is shown beside it. Ends with an in-process breakdown of
 * where a warm stage's time goes.
 */
import {execFileSync} from 'node:child_process'
import {mkdirSync, readdirSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {performance} from 'node:perf_hooks'
import {setTimeout as sleep} from 'node:timers/promises'

import {stageContext} from '../../dist/src/stage/index.js'
import {coldStageVsCp, dbuild, inTurn, quantile} from './harness.js'
import {benchTree} from './tree.js'

const RUNS = Number(process.env.DBUILD_BENCH_RUNS ?? 9)

/** @param {import('./harness.js').Ctx} ctx */
export default async function stageBench(ctx) {
  const context = await benchTree()
  const withIgnored = await benchTree({ignoredFiles: 100_000})
  const work = path.join(os.tmpdir(), `dbuild-bench-stage-${process.pid}`)
  rmSync(work, {recursive: true, force: true})
  mkdirSync(work, {recursive: true})
  const env = {...process.env, DBUILD_CACHE_DIR: path.join(work, 'cache')}
  const rsyncDir = path.join(work, 'rsync')
  const outDir = path.join(work, 'out')
  // the paths the stage holds: .git is in the context's .dockerignore, so rsync and cp leave it out too
  const topLevel = readdirSync(context)
    .filter((name) => name !== '.git')
    .map((name) => path.join(context, name))

  const stage = {label: 'dbuild stage CTX', argv: dbuild('stage', context), env}
  const stageOut = {label: 'dbuild stage CTX --out DIR', argv: dbuild('stage', context, '--out', outDir), env}
  const rsync = {label: 'rsync -a --delete', argv: ['rsync', '-a', '--delete', '--exclude=/.git', `${context}/`, `${rsyncDir}/`]}
  try {
    for (const command of [stage, stageOut, rsync])
      execFileSync(command.argv[0] ?? '', command.argv.slice(1), {env: command.env ?? process.env, stdio: 'ignore'})
    await sleep(30) // past the clock tick of the last write, so the saved listings settle
    ctx.compare({
      name: 'warm dbuild stage CTX (nothing changed) vs rsync -a --delete',
      subject: stage,
      contender: rsync,
      runs: RUNS,
      warmup: 2,
      goal: 1.0,
    })
    ctx.compare({name: 'warm dbuild stage CTX --out DIR vs rsync -a --delete', subject: stageOut, contender: rsync, runs: RUNS, warmup: 1})

    ctx.compare({
      name: 'cold dbuild stage CTX vs cp -a',
      ...coldStageVsCp({context, paths: topLevel, cacheDir: path.join(work, 'cold-cache'), cpDir: path.join(work, 'cp')}),
      runs: Math.max(3, Math.ceil(RUNS / 2)),
      warmup: 1,
      goal: 1.5,
    })

    const ignored = {label: 'dbuild stage CTX+node_modules', argv: dbuild('stage', withIgnored), env}
    execFileSync(ignored.argv[0] ?? '', ignored.argv.slice(1), {env, stdio: 'ignore'})
    await sleep(30)
    ctx.compare({
      name: 'warm dbuild stage, context + ignored 100k-file node_modules vs context alone',
      subject: ignored,
      contender: stage,
      runs: RUNS,
      warmup: 1,
      goal: 1.1,
    })

    // where a warm stage's time goes: the same stage in this already-started process, no start-up
    /** @type {number[]} */
    const inProcess = []
    for (let i = 0; i < RUNS; i++) {
      const start = performance.now()
      await stageContext({context, env})
      inProcess.push(performance.now() - start)
    }
    const [nodeAlone] = inTurn([{label: 'node -e 0', argv: [process.execPath, '-e', '0']}], {runs: RUNS, warmup: 1})
    const empty = path.join(work, 'empty')
    mkdirSync(empty)
    const [startOnly] = inTurn([{label: 'dbuild stage EMPTY', argv: dbuild('stage', empty), env}], {runs: RUNS, warmup: 1})
    ctx.note('breakdown of a warm stage (not a process-level figure):')
    ctx.figure('  breakdown: node -e 0 (process)', ctx.spread(/** @type {import('./harness.js').Sample} */ (nodeAlone)))
    ctx.figure(
      '  breakdown: dbuild stage EMPTY-DIR (process: node + the stage command, next to no work)',
      ctx.spread(/** @type {import('./harness.js').Sample} */ (startOnly)),
    )
    ctx.figure(
      '  breakdown: stageContext() warm, in-process (walk + record + sync)',
      ctx.spread({median: quantile(inProcess, 0.5), p25: quantile(inProcess, 0.25), p75: quantile(inProcess, 0.75)}),
    )
  } finally {
    rmSync(work, {recursive: true, force: true})
  }
}
