/** Control characters in what dbuild prints from the user's files are shown escaped, never obeyed by the terminal. */
import path from 'node:path'

import {execa} from 'execa'
import t from 'tap'

import {ExitCode, formatError} from '../../src/exit-codes.js'
import {printable} from '../../src/printable.js'
import {ROOT} from '../engine/index.js'
import {tempDir} from '../helpers/index.js'

const BIN = path.join(ROOT, 'bin', 'run.js')

t.test('printable escapes C0, DEL and C1 controls; keeps tabs and line feeds', async (t) => {
  const cases: Array<[string, string]> = [
    ['plain text', 'plain text'],
    ['\u001b[2J', '\\x1b[2J'],
    ['\u001b]0;title\u0007', '\\x1b]0;title\\x07'],
    ['a\rb', 'a\\rb'],
    ['tab\there\nnext', 'tab\there\nnext'],
    ['\u007f\u009b\u0085', '\\x7f\\u009b\\u0085'],
    ['é ünïcode ✓', 'é ünïcode ✓'],
  ]
  for (const [text, shown] of cases) t.equal(printable(text), shown, JSON.stringify(text))
  t.equal(printable('a\nb', {newlines: false}), 'a\\x0ab', 'a line feed escaped where one line is meant')
  t.equal(formatError({message: 'x\u001b[2J: not found', suggestions: ['fix \u0007']}), 'Error: x\\x1b[2J: not found\nTry this: fix \\x07')
})

t.test('an error naming a file whose name holds escape sequences prints them escaped, byte for byte', async (t) => {
  const root = tempDir(t)
  const name = path.join(root, 'ctx\u001b[2J\u001b]0;pwned\u0007\r')
  const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1', DBUILD_CACHE_DIR: path.join(root, 'cache')}
  delete env.NODE_OPTIONS
  const run = await execa(process.execPath, [BIN, 'build', '--dry-run', name], {env, reject: false, encoding: 'buffer'})
  t.equal(run.exitCode, ExitCode.NO_INPUT, 'the context is missing')
  const stderr = Buffer.from(run.stderr)
  for (const byte of [0x1b, 0x07, 0x0d]) t.equal(stderr.indexOf(byte), -1, `no raw 0x${byte.toString(16)} on stderr`)
  t.ok(
    stderr.toString('utf8').includes(`Error: ${root}/ctx\\x1b[2J\\x1b]0;pwned\\x07\\r: build context not found`),
    'the name shown escaped',
    {stderr: stderr.toString('utf8')},
  )
  t.equal(Buffer.from(run.stdout).length, 0, 'nothing on stdout')
})
