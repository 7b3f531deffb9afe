/** What BuildKit's frontend refuses is an error with file and line, in its words (moby/buildkit parser testfiles-negative). */
import path from 'node:path'

import {execa} from 'execa'
import t from 'tap'

import {ExitCode} from '../../src/exit-codes.js'
import {parseDockerfile} from '../../src/rewrite/parse.js'
import {buildkitRefusals} from '../../src/rewrite/refusals.js'
import {ROOT} from '../engine/index.js'
import {tempDir, writeTree} from '../helpers/index.js'

const invalid: Array<{name: string; origin: string; code: string; line: number; message: RegExp}> = [
  {
    name: 'empty file',
    origin: 'moby/buildkit frontend/dockerfile/parser/testfiles-negative/empty_dockerfile/Dockerfile',
    code: '',
    line: 1,
    message: /^file with no instructions/,
  },
  {
    name: 'comments only',
    origin: 'moby/buildkit frontend/dockerfile/parser/testfiles-negative/only_comments/Dockerfile',
    code: '# comment\n',
    line: 1,
    message: /^file with no instructions/,
  },
  {
    name: 'directives only',
    origin: 'a Dockerfile left with its # syntax= line',
    code: '# syntax=docker/dockerfile:1\n\n',
    line: 1,
    message: /^file with no instructions/,
  },
  {
    name: 'ENV with a name and no value',
    origin: 'moby/buildkit frontend/dockerfile/parser/testfiles-negative/env_no_value/Dockerfile:3',
    code: 'FROM busybox\n\nENV PATH',
    line: 3,
    message: /^ENV must have two arguments/,
  },
]
const valid: Array<{name: string; code: string}> = [
  {name: 'ENV NAME=', code: 'FROM busybox\nENV PATH=\n'},
  {name: 'the old form ENV NAME VALUE', code: 'FROM busybox\nENV PATH /usr/bin\n'},
  {name: 'ENV with several pairs', code: 'FROM busybox\nENV A=1 B=2\n'},
  {name: 'one instruction after comments', code: '# comment\nFROM scratch\n'},
]

t.test('refused: an error on the line BuildKit names', async (t) => {
  for (const c of invalid) {
    const findings = buildkitRefusals(parseDockerfile(c.code))
    t.equal(findings.length, 1, `${c.name} (${c.origin})`)
    t.match(findings[0], {ruleId: 'buildkit', severity: 'error', line: c.line, message: c.message}, c.name)
  }
})

t.test('accepted: nothing', async (t) => {
  for (const c of valid) t.same(buildkitRefusals(parseDockerfile(c.code)), [], c.name)
})

t.test('dbuild lint reports them with file and line and exits 1', async (t) => {
  const dir = tempDir(t)
  writeTree(dir, Object.fromEntries(invalid.map((c, i) => [`${i}.Dockerfile`, c.code])))
  const result = await execa(process.execPath, [path.join(ROOT, 'bin', 'run.js'), 'lint', ...invalid.map((_, i) => `${i}.Dockerfile`)], {
    cwd: dir,
    reject: false,
    env: {...process.env, NO_COLOR: '1'},
  })
  t.equal(result.exitCode, ExitCode.FINDINGS, {stderr: result.stderr})
  invalid.forEach((c, i) =>
    t.match(result.stdout, new RegExp(`^${i}\\.Dockerfile:${c.line}: error \\[buildkit\\] ${c.message.source.slice(1)}`, 'm'), c.name),
  )
})
