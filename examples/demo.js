#!/usr/bin/env node
// @ts-check
/**
 * `npm run demo`: the README's quick start. The example project is committed to git and checked out
 * twice, under umask 002 (a developer with a private group, or CI) and umask 022. Both checkouts
 * are built through dbuild on one engine: the second build finds the first one's cache and the
 * expensive step says CACHED, although the two checkouts' file modes differ. Plain buildx on the
 * same two checkouts rebuilds it, for comparison.
 */
import {execFileSync, spawnSync} from 'node:child_process'
import {cpSync, mkdtempSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {reachableEngine} from './engine.js'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const BIN = path.join(HERE, '..', 'bin', 'run.js')
const say = (/** @type {string} */ text) => console.log(`\n\u25b6 ${text}`)

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'dbuild demo',
  GIT_AUTHOR_EMAIL: 'demo@dbuild.invalid',
  GIT_COMMITTER_NAME: 'dbuild demo',
  GIT_COMMITTER_EMAIL: 'demo@dbuild.invalid',
}

/** @param {string} script @param {string} [cwd] */
function sh(script, cwd) {
  execFileSync('sh', ['-c', script], {cwd, env: GIT_ENV, stdio: ['ignore', 'ignore', 'inherit']})
}

/**
 * Runs a build with --progress=plain, shows its step lines, and says whether the expensive step was CACHED.
 * @param {string} title @param {string[]} command @param {NodeJS.ProcessEnv} env @param {string} cwd
 */
function build(title, command, env, cwd) {
  say(title)
  console.log(`  $ ${command.join(' ')}`)
  const started = Date.now()
  const result = spawnSync(command[0] ?? 'docker', command.slice(1), {cwd, env, encoding: 'utf8', maxBuffer: 64 << 20})
  const output = `${result.stdout}${result.stderr}`
  for (const line of output.split('\n')) if (/^#\d+ (\[|CACHED|DONE)|^dbuild:/.test(line)) console.log(`    ${line}`)
  if (result.status !== 0) {
    console.log(output)
    throw new Error(`${title}: failed with exit code ${result.status}`)
  }
  const step = /^#(\d+) \[.*RUN echo "expensive step/m.exec(output)?.[1]
  // a step that ran prints its own output behind its elapsed time (`#8 0.06 expensive …`); a cached one does not
  const cached = step !== undefined && !new RegExp(`^#${step} \\d+\\.\\d+ `, 'm').test(output)
  console.log(`  → expensive step ${cached ? 'CACHED' : 'rebuilt'} (${((Date.now() - started) / 1000).toFixed(1)} s)`)
  return cached
}

const engine = await reachableEngine()
const work = mkdtempSync(path.join(os.tmpdir(), 'dbuild-demo-'))
try {
  console.log(`dbuild demo on ${engine.description}, base image ${engine.baseImage}`)
  const env = {...engine.env, DBUILD_CACHE_DIR: path.join(work, 'cache')}
  delete env.CI
  const tag = `dbuild-demo-${process.pid}`

  /** One commit of examples/hello, cloned under umask 002 and 022. `label` keeps each pair's cache its own. */
  const checkouts = (/** @type {string} */ label) => {
    const source = path.join(work, `source-${label}`)
    cpSync(path.join(HERE, 'hello'), source, {recursive: true})
    // a cache list that points nowhere would only print warnings here: the demo shares the engine's own cache
    rmSync(path.join(source, '.dbuild.json'))
    sh(`printf '%s\\n' ${tag}-${label} > src/run-id.txt && git init -q -b main . && git add -A && git commit -qm example`, source)
    return ['002', '022'].map((umask) => {
      const dir = path.join(work, `${label}-checkout-${umask}`)
      sh(`umask ${umask} && git clone -q ${JSON.stringify(source)} ${JSON.stringify(dir)}`)
      console.log(
        `  umask ${umask}: ${
          execFileSync('ls', ['-l', path.join(dir, 'src', 'greeting.txt')], {encoding: 'utf8'})
            .trim()
            .split(/\s+/)[0]
        } src/greeting.txt`,
      )
      return dir
    })
  }
  const flags = ['--network=host', '--progress=plain', '--build-arg', `BASE=${engine.baseImage}`, '-t', `${tag}:latest`]

  say('one commit of examples/hello, checked out under umask 002 and under umask 022')
  const [dbuild002, dbuild022] = checkouts('dbuild')
  build(
    'dbuild, umask 002 checkout (fills the cache)',
    [process.execPath, BIN, 'build', ...flags, '.'],
    env,
    /** @type {string} */ (dbuild002),
  )
  const dbuildHit = build(
    'dbuild, umask 022 checkout of the same commit',
    [process.execPath, BIN, 'build', ...flags, '.'],
    env,
    /** @type {string} */ (dbuild022),
  )

  say('the same with plain docker buildx build, on a fresh commit')
  const [plain002, plain022] = checkouts('plain')
  build(
    'plain buildx, umask 002 checkout (fills the cache)',
    ['docker', 'buildx', 'build', ...flags, '.'],
    env,
    /** @type {string} */ (plain002),
  )
  const plainHit = build(
    'plain buildx, umask 022 checkout of the same commit',
    ['docker', 'buildx', 'build', ...flags, '.'],
    env,
    /** @type {string} */ (plain022),
  )

  say('result')
  console.log(`  plain buildx: the second checkout ${plainHit ? 'hit' : 'MISSED'} the cache`)
  console.log(`  dbuild:       the second checkout ${dbuildHit ? 'hit the cache: expensive step CACHED' : 'MISSED the cache'}`)
  if (!dbuildHit) process.exitCode = 1
  spawnSync('docker', ['image', 'rm', '-f', `${tag}:latest`], {env, stdio: 'ignore'})
} finally {
  rmSync(work, {recursive: true, force: true})
  await engine.stop()
}
