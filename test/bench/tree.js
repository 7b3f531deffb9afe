// @ts-check
/**
 * The benchmark context: 20,000 files (~130 MB) in a git repository, checked out under umask 002
 * as a developer with a private group would have it. Generated once and cached under os.tmpdir().
 * `ignoredFiles` adds an untracked node_modules of that many small files, which the committed
 * .dockerignore excludes.
 */
import {Buffer} from 'node:buffer'
import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const VERSION = 1
const FILES = 20_000
const CACHE = path.join(os.tmpdir(), `dbuild-bench-v${VERSION}`)

/** A deterministic pseudo-random generator, so every machine benchmarks the same tree. */
function random(seed) {
  let state = seed >>> 0
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0
    return state / 2 ** 32
  }
}

/** @param {string} cwd @param {string} script */
function sh(cwd, script) {
  execFileSync('sh', ['-c', script], {
    cwd,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'bench',
      GIT_AUTHOR_EMAIL: 'b@b',
      GIT_COMMITTER_NAME: 'bench',
      GIT_COMMITTER_EMAIL: 'b@b',
      GIT_CONFIG_NOSYSTEM: '1',
    },
  })
}

function makeSource(dir) {
  rmSync(dir, {recursive: true, force: true})
  const next = random(42)
  const chunk = Buffer.alloc(256 * 1024)
  for (let i = 0; i < chunk.length; i++) chunk[i] = Math.floor(next() * 256)
  for (let i = 0; i < FILES; i++) {
    const sub = path.join(dir, `pkg${i % 40}`, `mod${Math.floor(i / 40) % 25}`, i % 3 === 0 ? 'deep' : '')
    mkdirSync(sub, {recursive: true})
    // mostly small files, a few large ones: ~6.5 KB on average
    const size = i % 100 === 0 ? 150_000 + Math.floor(next() * 100_000) : Math.floor(next() * 9_000) + 200
    const offset = Math.floor(next() * (chunk.length - size))
    writeFileSync(path.join(sub, `file${i}${i % 10 === 0 ? '.sh' : '.txt'}`), chunk.subarray(offset, offset + size), {
      mode: i % 10 === 0 ? 0o755 : 0o644,
    })
  }
  writeFileSync(path.join(dir, '.dockerignore'), '.git\nnode_modules\n')
  writeFileSync(path.join(dir, '.gitignore'), 'node_modules/\n')
  writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\nCOPY . /\n')
  sh(dir, 'git init -q -b main . && git -c core.compression=0 add -A && git commit -qm bench')
}

/**
 * @param {{ignoredFiles?: number}} [options]
 * @returns {Promise<string>} the checkout directory
 */
export async function benchTree(options = {}) {
  const ignored = options.ignoredFiles ?? 0
  const checkout = path.join(CACHE, ignored ? `checkout-ignored-${ignored}` : 'checkout')
  if (existsSync(path.join(checkout, '.dbuild-bench-complete'))) return checkout
  const source = path.join(CACHE, 'source')
  if (!existsSync(path.join(source, '.dbuild-bench-complete'))) {
    makeSource(source)
    writeFileSync(path.join(source, '.dbuild-bench-complete'), '')
  }
  rmSync(checkout, {recursive: true, force: true})
  sh(CACHE, `umask 002 && git -c core.compression=0 clone -q ${JSON.stringify(source)} ${JSON.stringify(checkout)}`)
  for (let i = 0; i < ignored; i++) {
    const dir = path.join(checkout, 'node_modules', `pkg${i % 500}`, 'lib')
    if (i < 500) mkdirSync(dir, {recursive: true})
    writeFileSync(path.join(dir, `m${i}.js`), 'module.exports = 1\n')
  }
  // the marker is part of both benchmark contexts alike
  writeFileSync(path.join(checkout, '.dbuild-bench-complete'), '')
  return checkout
}

/**
 * A context of `files` small files (100–600 bytes, 100 a directory, two levels deep) with the
 * modes a umask 002 checkout has, for the scale bench: no git, so 200,000 files take seconds to
 * make. Generated once and cached under os.tmpdir().
 * @param {number} files @returns {string}
 */
export function scaleTree(files) {
  const dir = path.join(CACHE, `scale-${files}`)
  if (existsSync(path.join(dir, '.dbuild-bench-complete'))) return dir
  rmSync(dir, {recursive: true, force: true})
  const umask = process.umask(0o002)
  const next = random(files)
  const text = Buffer.alloc(600, 'dbuild scale bench line\n')
  for (let i = 0; i < files; i++) {
    const sub = path.join(dir, `d${Math.floor(i / 10_000)}`, `e${Math.floor(i / 100) % 100}`)
    if (i % 100 === 0) mkdirSync(sub, {recursive: true, mode: 0o775})
    writeFileSync(path.join(sub, `f${i}.txt`), text.subarray(0, 100 + Math.floor(next() * 500)), {mode: i % 10 === 0 ? 0o775 : 0o664})
  }
  writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\nCOPY . /\n')
  process.umask(umask)
  writeFileSync(path.join(dir, '.dbuild-bench-complete'), '')
  return dir
}
