/**
 * The README's line that puts dbuild on PATH, followed as written (npm_config_prefix form, so the
 * test never writes to the machine's global npm prefix), then dbuild run by name from elsewhere.
 */
import {readFileSync} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'
import t from 'tap'

import {ROOT} from '../engine/index.js'
import {tempDir} from '../helpers/index.js'

t.test('npm link puts a working dbuild on PATH', async (t) => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8')
  const line = /^npm link +# without root: (npm_config_prefix=~\/\.local npm link)$/m.exec(readme)
  t.ok(line, 'the README gives the line')
  const prefix = tempDir(t)
  // the README's line with ~/.local replaced by a temporary prefix; scripts already ran in npm ci,
  // and running `prepare` again would rebuild dist/ under the other tests' feet
  const link = await execa('npm', ['link', '--no-audit', '--no-fund'], {
    cwd: ROOT,
    reject: false,
    env: {...process.env, npm_config_prefix: prefix, npm_config_ignore_scripts: 'true'},
  })
  t.equal(link.exitCode, 0, link.stderr)
  const env = {...process.env, PATH: `${path.join(prefix, 'bin')}${path.delimiter}${process.env.PATH ?? ''}`}
  const cwd = tempDir(t)
  const version = await execa('dbuild', ['--version'], {cwd, env, reject: false})
  t.equal(version.exitCode, 0, version.stderr)
  t.match(version.stdout, /^dbuild\/\d+\.\d+\.\d+ /)
  const help = await execa('dbuild', ['help'], {cwd, env, reject: false})
  t.match(help.stdout, /\$ dbuild \[buildx flags\] PATH \| URL \| -/)
})
