/**
 * A Dockerfile that is there but cannot be read (EACCES) is an I/O failure (74), never "missing"
 * (66) with a hint to pass -f. Tests run as root, who reads everything, so dbuild runs here as an
 * unprivileged uid (setpriv) against a real file of mode 0000.
 */
import {chmodSync, mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'
import t from 'tap'

import {ExitCode} from '../../src/exit-codes.js'
import {ROOT} from '../engine/index.js'
import {tempDir} from '../helpers/index.js'

const BIN = path.join(ROOT, 'bin', 'run.js')
const NOBODY = '65534'

const root = tempDir(t)
chmodSync(root, 0o755)
const context = path.join(root, 'ctx')
mkdirSync(context)
writeFileSync(path.join(context, 'Dockerfile'), 'FROM scratch\nCOPY --link --chown=app a /a\n')
chmodSync(path.join(context, 'Dockerfile'), 0o000)
const cache = path.join(root, 'cache')
mkdirSync(cache)
chmodSync(cache, 0o777)

const asNobody = (args: string[]) =>
  execa('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, BIN, ...args], {
    cwd: context,
    reject: false,
    env: {...process.env, HOME: root, NO_COLOR: '1', DBUILD_CACHE_DIR: cache},
  })

for (const args of [
  ['lint', 'Dockerfile'],
  ['rewrite', '.'],
]) {
  t.test(`dbuild ${args.join(' ')}: an unreadable Dockerfile exits 74 and names the file`, async (t) => {
    const result = await asNobody(args)
    t.equal(result.exitCode, ExitCode.IO, 'exit 74', {stderr: result.stderr})
    t.match(result.stderr, /Dockerfile: cannot read the Dockerfile: EACCES/)
    t.notMatch(result.stderr, /Pass the Dockerfile with -f/, 'no hint that it is missing')
  })
}

t.test('a missing Dockerfile is still 66 with the -f hint', async (t) => {
  const result = await execa(process.execPath, [BIN, 'rewrite', '-f', path.join(root, 'nope'), '.'], {
    cwd: context,
    reject: false,
    env: {...process.env, NO_COLOR: '1', DBUILD_CACHE_DIR: cache},
  })
  t.equal(result.exitCode, ExitCode.NO_INPUT, {stderr: result.stderr})
})
