/** `--json` with a flag mistake: a usage error (exit 2) as one JSON line, never the parser's internal state. */
import path from 'node:path'

import {execa} from 'execa'
import t from 'tap'

import {ExitCode} from '../../src/exit-codes.js'
import {ROOT} from '../engine/index.js'
import {tempDir} from '../helpers/index.js'

const BIN = path.join(ROOT, 'bin', 'run.js')

t.test('an unknown flag with --json exits 2 with one line of JSON on every --json command', async (t) => {
  const cwd = tempDir(t)
  const env = {...process.env, NO_COLOR: '1', DBUILD_CACHE_DIR: path.join(cwd, 'cache')}
  for (const command of [['doctor'], ['hook', 'status'], ['stage'], ['explain'], ['setup'], ['docker', 'status'], ['rewrite']]) {
    for (const order of [
      ['--bogus', '--json'],
      ['--json', '--bogus'],
    ]) {
      const name = [...command, ...order].join(' ')
      const result = await execa(process.execPath, [BIN, ...command, ...order], {cwd, reject: false, env})
      t.equal(result.exitCode, ExitCode.USAGE, `${name} exits 2`)
      t.equal(result.stdout.split('\n').length, 1, `${name} prints one line`)
      t.ok(result.stdout.length < 1000, `${name} prints ${result.stdout.length} bytes, not the parser's state`)
      const parsed = JSON.parse(result.stdout) as {error: {message: string; exit: number}}
      t.match(parsed.error.message, /--bogus/, `${name} names the flag`)
      t.equal(parsed.error.exit, ExitCode.USAGE)
    }
  }
})
