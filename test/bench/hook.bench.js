// @ts-check
/**
 * What dbuild's git hook adds to git, in a 20,000-file repository checked out under umask 002:
 * a branch switch that touches 100 files (goal < 100 ms) and a checkout that changes nothing (goal < 30 ms).
 * Medians. The shared bench tree is cloned into a private repository, so nothing else sees the branches.
 */
import {execFileSync} from 'node:child_process'
import {existsSync, lstatSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {performance} from 'node:perf_hooks'

import {hookStatus, installHooks, uninstallHooks} from '../../dist/src/hook/index.js'
import {benchTree} from './tree.js'

const RUNS = 9
const CHANGED = 100
const ENV = {...process.env, GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'b@b', GIT_CONFIG_NOSYSTEM: '1'}

/** @param {string} cwd @param {string} script */
function sh(cwd, script) {
  return execFileSync('sh', ['-c', `umask 002; ${script}`], {cwd, env: ENV, stdio: ['ignore', 'pipe', 'inherit']}).toString()
}

/** @param {number[]} values */
function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? NaN
}

/** @param {string} cwd @param {string} script */
function timed(cwd, script) {
  const start = performance.now()
  sh(cwd, script)
  return performance.now() - start
}

/** A private clone with branch b100 (100 files changed across directories) and branch same (= main). */
async function repository() {
  const source = await benchTree()
  const dir = path.join(os.tmpdir(), 'dbuild-bench-hook-v1')
  if (existsSync(path.join(dir, '.git', 'dbuild-bench-complete'))) return dir
  rmSync(dir, {recursive: true, force: true})
  sh(os.tmpdir(), `git -c core.compression=0 clone -q ${JSON.stringify(source)} ${JSON.stringify(dir)}`)
  const files = sh(dir, 'git ls-files').split('\n').filter((name) => name.endsWith('.txt'))
  const step = Math.floor(files.length / CHANGED)
  for (let i = 0; i < CHANGED; i++) writeFileSync(path.join(dir, files[i * step] ?? ''), `changed ${i}\n`)
  sh(dir, 'git checkout -q -b b100 && git commit -qam b100 && git checkout -q main && git branch same main')
  writeFileSync(path.join(dir, '.git', 'dbuild-bench-complete'), '')
  return dir
}

/** @param {{log: (name: string, value: string | number, ratio?: number, goal?: number) => void}} ctx */
export default async function (ctx) {
  const dir = await repository()
  /** @type {import('../../dist/src/hook/index.js').HooksLocation} */
  const hooks = {dir: path.join(dir, '.git', 'hooks'), root: dir, manager: {kind: 'hooks-dir'}}
  const oneFile = sh(dir, 'git ls-files').split('\n').find((name) => name.endsWith('.txt')) ?? ''
  uninstallHooks(hooks)
  sh(dir, 'git checkout -q main')

  /** medians of a 100-file switch (main → b100 → main), a checkout that changes nothing, and `checkout main -- FILE` */
  const measure = () => {
    const switches = []
    const nothing = []
    const file = []
    for (let i = 0; i < RUNS; i++) {
      writeFileSync(path.join(dir, oneFile), `local ${i}\n`)
      file.push(timed(dir, `git checkout -q main -- ${JSON.stringify(oneFile)}`))
      switches.push(timed(dir, 'git checkout -q b100'))
      switches.push(timed(dir, 'git checkout -q main'))
      nothing.push(timed(dir, 'git checkout -q same'))
      nothing.push(timed(dir, 'git checkout -q main'))
    }
    return {switches: median(switches), nothing: median(nothing), file: median(file)}
  }

  const without = measure()
  installHooks(hooks)
  if (!hookStatus(hooks).every((hook) => hook.state === 'installed')) throw new Error('hooks not installed')
  const withHook = measure()

  // the hook alone, run as git runs it, right after git wrote the 100 files under umask 002
  const direct = []
  uninstallHooks(hooks)
  for (let i = 0; i < RUNS; i++) {
    sh(dir, 'git checkout -q b100')
    const [oldHead, newHead] = [sh(dir, 'git rev-parse main').trim(), sh(dir, 'git rev-parse b100').trim()]
    installHooks(hooks)
    direct.push(timed(dir, `.git/hooks/post-checkout ${oldHead} ${newHead} 1`))
    uninstallHooks(hooks)
    sh(dir, 'git checkout -q main')
  }
  // the check that the hook did its job: the files the switch wrote are 0644 although the umask is 002
  installHooks(hooks)
  sh(dir, 'git checkout -q b100')
  const written = sh(dir, 'git diff --name-only main b100').split('\n').filter(Boolean)
  const canonical = written.filter((name) => (lstatSync(path.join(dir, name)).mode & 0o777) === 0o644).length
  sh(dir, 'git checkout -q main')
  uninstallHooks(hooks)

  const switchAdded = Math.max(0, withHook.switches - without.switches)
  const nothingAdded = Math.max(0, withHook.nothing - without.nothing)
  ctx.log('git checkout, 100 files, no hook', without.switches)
  ctx.log('git checkout, 100 files, with hook', withHook.switches)
  ctx.log('hook adds to a 100-file switch (vs 100 ms)', switchAdded, switchAdded / 100, 1)
  ctx.log('hook alone, 100-file switch (vs 100 ms)', median(direct), median(direct) / 100, 1)
  ctx.log('git checkout, nothing changes, no hook', without.nothing)
  ctx.log('git checkout, nothing changes, with hook', withHook.nothing)
  ctx.log('hook adds to a no-change checkout (vs 30 ms)', nothingAdded, nothingAdded / 30, 1)
  ctx.log('files at 0644 after a hooked switch (umask 002)', `${canonical}/${written.length}`)
  ctx.log('git checkout main -- FILE, no hook', without.file)
  ctx.log('git checkout main -- FILE, with hook', withHook.file, withHook.file / without.file)
}
