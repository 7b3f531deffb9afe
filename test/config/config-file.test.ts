/**
 * A repository's .dbuild.json is untrusted input: one that is not a regular file (a FIFO, a link to
 * /proc/self/fd/0), too large, or nested absurdly deep is refused with exit 78 naming the file, and never hangs.
 */
import {spawnSync} from 'node:child_process'
import {closeSync, openSync, symlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'
import t, {type Test} from 'tap'

import {MAX_CONFIG_BYTES} from '../../src/config.js'
import {ExitCode} from '../../src/exit-codes.js'
import {ROOT} from '../engine/index.js'
import {gitRepo, sh, tempDir} from '../helpers/index.js'

const BIN = path.join(ROOT, 'bin', 'run.js')

/** `dbuild build .` and `dbuild lint .` in a repository whose .dbuild.json `plant` makes; each must end on its own. */
async function refused(t: Test, plant: (file: string) => unknown, message: RegExp): Promise<void> {
  const dir = await gitRepo(tempDir(t), {Dockerfile: 'FROM scratch\nCOPY a /a\n', a: 'a\n'})
  const file = path.join(dir, '.dbuild.json')
  await plant(file)
  const env = {...process.env, NO_COLOR: '1', DBUILD_CACHE_DIR: path.join(tempDir(t), 'cache')}
  for (const command of [
    ['build', '.'],
    ['lint', '.'],
  ]) {
    // stdin is a pipe that nobody writes to or closes: a read of /proc/self/fd/0 would wait for ever
    const pipe = path.join(tempDir(t), 'stdin')
    await sh(`mkfifo ${JSON.stringify(pipe)}`)
    const stdin = openSync(pipe, 'r+') // read-write: Linux opens a FIFO so without waiting for a writer
    const result = spawnSync(process.execPath, [BIN, ...command], {
      cwd: dir,
      env,
      timeout: 30_000,
      killSignal: 'SIGKILL',
      stdio: [stdin, 'pipe', 'pipe'],
      encoding: 'utf8',
    })
    closeSync(stdin)
    t.equal(result.signal, null, `${command.join(' ')} ends on its own`)
    t.equal(result.status, ExitCode.CONFIG, `${command.join(' ')} exits 78`)
    t.match(result.stderr, `${file}:1:1`, 'names the file')
    t.match(result.stderr, message)
    t.notMatch(result.stderr, /dbuild bug|\n\s+at /, 'no stack')
  }
}

t.test('a FIFO is refused, not read', async (t) => {
  await refused(t, (file) => sh(`mkfifo ${JSON.stringify(file)}`), /a FIFO, not a regular file/)
})

t.test('a link to /proc/self/fd/0 is refused, not read', async (t) => {
  await refused(t, (file) => symlinkSync('/proc/self/fd/0', file), /not a regular file/)
})

t.test('a file larger than the limit is refused', async (t) => {
  await refused(t, (file) => writeFileSync(file, `{"cacheFrom": [${'"x",'.repeat(MAX_CONFIG_BYTES / 4)}"x"]}`), /larger than/)
})

t.test('a file nested 100,000 levels deep is a config error with its line, not a stack overflow', async (t) => {
  const dir = await gitRepo(tempDir(t), {Dockerfile: 'FROM scratch\n'})
  writeFileSync(path.join(dir, '.dbuild.json'), `{\n  "rules": ${'['.repeat(100_000)}${']'.repeat(100_000)}\n}\n`)
  const env = {...process.env, NO_COLOR: '1', DBUILD_CACHE_DIR: path.join(tempDir(t), 'cache')}
  for (const command of [
    ['build', '.'],
    ['lint', '.'],
  ]) {
    const result = await execa(process.execPath, [BIN, ...command], {cwd: dir, env, reject: false, timeout: 30_000})
    t.equal(result.exitCode, ExitCode.CONFIG, `${command.join(' ')} exits 78`)
    t.match(result.stderr, /\.dbuild\.json:2:\d+: nested more than \d+ levels deep/, 'names file and line')
    t.notMatch(result.stderr, /Maximum call stack|dbuild bug/)
  }
})
