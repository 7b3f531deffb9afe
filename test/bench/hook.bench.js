// @ts-check
/**
 * What dbuild's git hooks add to git, as processes: two private clones of the 20,000-file bench
 * repository checked out under umask 002, one with `dbuild hook install`, one without, timed in
 * turn on a branch switch that touches 100 files (goal: adds < 100 ms) and on a checkout that
 * changes nothing (goal: adds < 30 ms). Checks that the hooked switch left the files at 0644.
 */
import {execFileSync} from 'node:child_process'
import {existsSync, lstatSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {dbuild} from './harness.js'
import {benchTree} from './tree.js'

const RUNS = Number(process.env.DBUILD_BENCH_RUNS ?? 9)
const CHANGED = 100
const ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'bench',
  GIT_AUTHOR_EMAIL: 'b@b',
  GIT_COMMITTER_NAME: 'bench',
  GIT_COMMITTER_EMAIL: 'b@b',
  GIT_CONFIG_NOSYSTEM: '1',
}

/** @param {string} cwd @param {string} script */
function sh(cwd, script) {
  return execFileSync('sh', ['-c', `umask 002; ${script}`], {cwd, env: ENV, stdio: ['ignore', 'pipe', 'inherit']}).toString()
}

/** A private clone with branch b100 (100 files changed across directories) and branch same (= main). */
async function repository(/** @type {string} */ name) {
  const source = await benchTree()
  const dir = path.join(os.tmpdir(), `dbuild-bench-hook-v2-${name}`)
  if (existsSync(path.join(dir, '.git', 'dbuild-bench-complete'))) return dir
  rmSync(dir, {recursive: true, force: true})
  sh(os.tmpdir(), `git -c core.compression=0 clone -q ${JSON.stringify(source)} ${JSON.stringify(dir)}`)
  const files = sh(dir, 'git ls-files')
    .split('\n')
    .filter((file) => file.endsWith('.txt'))
  const step = Math.floor(files.length / CHANGED)
  for (let i = 0; i < CHANGED; i++) writeFileSync(path.join(dir, files[i * step] ?? ''), `changed ${i}\n`)
  sh(dir, 'git checkout -q -b b100 && git commit -qam b100 && git checkout -q main && git branch same main')
  writeFileSync(path.join(dir, '.git', 'dbuild-bench-complete'), '')
  return dir
}

/** @param {import('./harness.js').Ctx} ctx */
export default async function hookBench(ctx) {
  const plain = await repository('plain')
  const hooked = await repository('hooked')
  const hook = (/** @type {string} */ verb, /** @type {string} */ cwd) =>
    execFileSync(dbuild()[0] ?? '', [...dbuild().slice(1), 'hook', verb], {cwd, env: ENV, stdio: 'ignore'})
  hook('uninstall', plain)
  hook('install', hooked)
  try {
    for (const dir of [plain, hooked]) sh(dir, 'git checkout -q main')
    const checkout = (/** @type {string} */ dir, /** @type {string} */ script, /** @type {string} */ label) => ({
      label,
      argv: ['sh', '-c', `umask 002; ${script}`],
      cwd: dir,
      env: ENV,
    })
    // each run switches there and back: two checkouts
    const switchScript = 'git checkout -q b100 && git checkout -q main'
    const sameScript = 'git checkout -q same && git checkout -q main'
    const switched = ctx.compare({
      name: `2 git checkouts of ${CHANGED} files, with dbuild's hooks vs without`,
      subject: checkout(hooked, switchScript, 'with hooks'),
      contender: checkout(plain, switchScript, 'without'),
      runs: RUNS,
      warmup: 1,
    })
    const added = (/** @type {{subject: {median: number}, contender: {median: number}}} */ pair, /** @type {number} */ budget) => {
      const ms = Math.max(0, (pair.subject.median - pair.contender.median) / 2)
      return {text: `${ms.toFixed(0)} ms a checkout`, ratio: {median: ms / budget, p25: ms / budget, p75: ms / budget}}
    }
    const switchAdded = added(switched, 100)
    ctx.figure(`the hooks add to a ${CHANGED}-file checkout, vs a 100 ms budget`, switchAdded.text, switchAdded.ratio, 1)
    const same = ctx.compare({
      name: "2 git checkouts that change nothing, with dbuild's hooks vs without",
      subject: checkout(hooked, sameScript, 'with hooks'),
      contender: checkout(plain, sameScript, 'without'),
      runs: RUNS,
      warmup: 1,
    })
    const sameAdded = added(same, 30)
    ctx.figure('the hooks add to a checkout that changes nothing, vs a 30 ms budget', sameAdded.text, sameAdded.ratio, 1)

    // the hooks did their job: the files the switch wrote are 0644 although the umask is 002
    sh(hooked, 'git checkout -q b100')
    const written = sh(hooked, 'git diff --name-only main b100').split('\n').filter(Boolean)
    const canonical = written.filter((name) => (lstatSync(path.join(hooked, name)).mode & 0o777) === 0o644).length
    sh(hooked, 'git checkout -q main')
    ctx.figure('files at 0644 after a hooked switch under umask 002', `${canonical}/${written.length}`)
  } finally {
    hook('uninstall', hooked)
  }
}
