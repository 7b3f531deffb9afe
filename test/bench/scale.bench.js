// @ts-check
/**
 * How staging grows with the number of files: contexts of 2,000 and 20,000 small files (and
 * 200,000 with DBUILD_BENCH_SCALE=200000, which takes minutes to make the first time), each staged
 * warm against `rsync -a --delete` and cold against `cp -a`, as processes in turn; the cost per
 * file of each; and the peak memory (max RSS) of a warm `dbuild stage` of the largest, whose
 * budget is 300 MB at 200,000 files.
 */
import {execFileSync} from 'node:child_process'
import {mkdirSync, readdirSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {coldStageVsCp, dbuild, peakMemoryMb} from './harness.js'
import {scaleTree} from './tree.js'

const RUNS = Number(process.env.DBUILD_BENCH_RUNS ?? 7)
const MEMORY_BUDGET_MB = 300

/** @param {import('./harness.js').Ctx} ctx */
export default async function scaleBench(ctx) {
  const extra = Number(process.env.DBUILD_BENCH_SCALE ?? 0)
  const sizes = [2000, 20_000, ...(extra > 20_000 ? [extra] : [])]
  if (!extra) ctx.note('DBUILD_BENCH_SCALE=200000 adds a 200,000-file context')
  const work = path.join(os.tmpdir(), `dbuild-bench-scale-${process.pid}`)
  /** @type {Array<{name: string, value: string}>} */
  const growth = []
  try {
    for (const files of sizes) {
      const context = scaleTree(files)
      rmSync(work, {recursive: true, force: true})
      mkdirSync(work, {recursive: true})
      const env = {...process.env, DBUILD_CACHE_DIR: path.join(work, 'cache')}
      const rsyncDir = path.join(work, 'rsync')
      const runs = files > 20_000 ? Math.max(3, Math.ceil(RUNS / 2)) : RUNS
      const stage = {label: 'dbuild stage', argv: dbuild('stage', context), env}
      const rsync = {label: 'rsync -a --delete', argv: ['rsync', '-a', '--delete', `${context}/`, `${rsyncDir}/`]}
      for (const command of [stage, rsync])
        execFileSync(command.argv[0] ?? '', command.argv.slice(1), {env: command.env ?? process.env, stdio: 'ignore'})
      await sleep(30)
      const warm = ctx.compare({
        name: `${files} files: warm dbuild stage vs rsync -a --delete`,
        subject: stage,
        contender: rsync,
        runs,
        warmup: 1,
        goal: 1.0,
      })
      if (files === sizes.at(-1)) {
        const rss = peakMemoryMb(stage)
        if (rss === undefined) ctx.note('peak memory: not measured (GNU time missing)')
        else {
          const ratio = rss / MEMORY_BUDGET_MB
          ctx.figure(
            `${files} files: peak memory (max RSS) of a warm dbuild stage vs ${MEMORY_BUDGET_MB} MB`,
            `${rss.toFixed(0)} MB`,
            {median: ratio, p25: ratio, p75: ratio},
            files >= 200_000 ? 1 : undefined,
          )
        }
      }
      const cold = ctx.compare({
        name: `${files} files: cold dbuild stage vs cp -a`,
        ...coldStageVsCp({
          context,
          paths: readdirSync(context).map((name) => path.join(context, name)),
          cacheDir: path.join(work, 'cold-cache'),
          cpDir: path.join(work, 'cp'),
        }),
        // a cold copy of 200,000 files takes minutes on a busy machine: two rounds, no warm-up (a cold run has nothing to warm)
        runs: files > 20_000 ? 2 : Math.max(3, Math.ceil(runs / 2)),
        warmup: files > 20_000 ? 0 : 1,
        goal: 1.5,
      })
      const perFile = (/** @type {number} */ ms) => `${((ms * 1000) / files).toFixed(1)} µs`
      growth.push({
        name: `${files} files: cost per file (medians)`,
        value: `warm stage ${perFile(warm.subject.median)}, rsync ${perFile(warm.contender.median)}; cold stage ${perFile(cold.subject.median)}, cp -a ${perFile(cold.contender.median)}`,
      })
    }
    for (const line of growth) ctx.figure(line.name, line.value)
  } finally {
    rmSync(work, {recursive: true, force: true})
  }
}
