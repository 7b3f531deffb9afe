/** `dbuild rewrite` and `dbuild lint` as a user runs them: the compiled CLI on real files. */
import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'
import t from 'tap'

import {ExitCode} from '../../src/exit-codes.js'
import {ROOT} from '../engine/index.js'
import {tempDir, writeTree} from '../helpers/index.js'

const BIN = path.join(ROOT, 'bin', 'run.js')
const dbuild = (args: string[], cwd: string) =>
  execa(process.execPath, [BIN, ...args], {
    cwd,
    reject: false,
    stripFinalNewline: false,
    env: {...process.env, NO_COLOR: '1', DBUILD_CACHE_DIR: path.join(cwd, '..', 'cache')},
  })

const RISKY = 'FROM dbuild-test/base:latest\r\nCOPY --link --chown=app foo /home/app/foo\r\nRUN true\r\n'
const CONFIG = JSON.stringify({users: {app: '1000:1000'}})

function project(t: Parameters<typeof tempDir>[0], dockerfile: string, config = CONFIG): string {
  const dir = path.join(tempDir(t), 'ctx')
  writeTree(dir, {Dockerfile: dockerfile, '.dbuild.json': config, foo: 'x\n'})
  return dir
}

t.test('rewrite prints the fixed copy, keeps every other byte, and leaves the file alone', async (t) => {
  const dir = project(t, RISKY)
  const result = await dbuild(['rewrite', '--no-probe'], dir)
  t.equal(result.exitCode, 0, 'exits 0', {stderr: result.stderr})
  t.equal(result.stdout, 'FROM dbuild-test/base:latest\r\nCOPY --link --chown=1000:1000 foo /home/app/foo\r\nRUN true\r\n')
  t.match(result.stderr, /link-chown/, 'the finding goes to stderr')
  t.equal(readFileSync(path.join(dir, 'Dockerfile'), 'utf8'), RISKY, 'the Dockerfile is unchanged')
})

t.test('rewrite with no finding is byte-identical (BOM, CRLF, escape, heredoc)', async (t) => {
  const text = '\uFEFF# escape=`\r\nFROM dbuild-test/base:latest\r\nRUN <<EOF\r\necho hi `\r\n  there\r\nEOF\r\n'
  const dir = project(t, text, '{}')
  const result = await dbuild(['rewrite', '--no-probe'], dir)
  t.equal(result.exitCode, 0, 'exits 0', {stderr: result.stderr})
  t.equal(result.stdout, text)
})

t.test('rewrite --diff prints a unified diff; --write changes the file in place', async (t) => {
  const dir = project(t, RISKY)
  const diff = await dbuild(['rewrite', '--no-probe', '--diff'], dir)
  t.equal(diff.exitCode, 0, 'exits 0', {stderr: diff.stderr})
  t.match(diff.stdout, /^--- /m)
  t.match(diff.stdout, /^-COPY --link --chown=app foo/m)
  t.match(diff.stdout, /^\+COPY --link --chown=1000:1000 foo/m)
  t.equal(readFileSync(path.join(dir, 'Dockerfile'), 'utf8'), RISKY, '--diff writes nothing')

  const write = await dbuild(['rewrite', '--no-probe', '--write'], dir)
  t.equal(write.exitCode, 0, 'exits 0', {stderr: write.stderr})
  t.equal(
    readFileSync(path.join(dir, 'Dockerfile'), 'utf8'),
    'FROM dbuild-test/base:latest\r\nCOPY --link --chown=1000:1000 foo /home/app/foo\r\nRUN true\r\n',
  )
  const again = await dbuild(['rewrite', '--no-probe', '--json'], dir)
  t.equal(JSON.parse(again.stdout).changed, false, 'rewriting the output again changes nothing')
})

t.test('rewrite --json reports the findings and the text', async (t) => {
  const dir = project(t, RISKY)
  const result = await dbuild(['rewrite', '--no-probe', '--json'], dir)
  t.equal(result.exitCode, 0, 'exits 0', {stderr: result.stderr})
  const report = JSON.parse(result.stdout)
  t.equal(report.changed, true)
  t.match(report.findings, [{ruleId: 'link-chown', line: 2}])
})

t.test('lint exits 1 on an error finding and 0 on a clean file, in every format', async (t) => {
  const risky = project(t, RISKY)
  const clean = project(t, 'FROM dbuild-test/base:latest\nCOPY --link --chown=1000:1000 foo /x\n')
  for (const format of ['text', 'json', 'sarif', 'github']) {
    const bad = await dbuild(['lint', '--format', format], risky)
    t.equal(bad.exitCode, ExitCode.FINDINGS, `${format}: exit 1`)
    const good = await dbuild(['lint', '--format', format], clean)
    t.equal(good.exitCode, 0, `${format}: exit 0 when clean`)
  }
  const github = await dbuild(['lint', '--format', 'github'], risky)
  t.match(github.stdout, /^::error file=.*Dockerfile,line=2/m, 'GitHub annotations name file and line')
  const sarif = JSON.parse((await dbuild(['lint', '--format', 'sarif'], risky)).stdout)
  t.equal(sarif.version, '2.1.0')
  t.equal(readFileSync(path.join(risky, 'Dockerfile'), 'utf8'), RISKY, 'lint changes nothing')
})

t.test('a missing Dockerfile and a broken config are clear errors with their exit codes', async (t) => {
  const dir = project(t, RISKY)
  const missing = await dbuild(['lint', '-f', 'nope.Dockerfile'], dir)
  t.equal(missing.exitCode, ExitCode.NO_INPUT)
  t.match(missing.stderr, /nope\.Dockerfile/)
  writeFileSync(path.join(dir, '.dbuild.json'), '{\n  "rules": {"link-chown": "maybe"}\n}\n')
  const broken = await dbuild(['rewrite', '--no-probe'], dir)
  t.equal(broken.exitCode, ExitCode.CONFIG)
  t.match(broken.stderr, /\.dbuild\.json:2/)
})
