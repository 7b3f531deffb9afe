import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'
import t from 'tap'

import {rule} from '../../plugins/git-in-context.js'
import {ROOT} from '../engine/index.js'
import {gitRepo, tempDir} from '../helpers/index.js'
import {ruleTester} from './rule-tester.js'

const sends = ['.git', 'src', 'package.json']

ruleTester(t, rule, {
  valid: [
    {name: '.git left out by .dockerignore', code: 'FROM scratch\nCOPY . /app\n', contextSends: ['src', 'package.json']},
    {name: 'no .git in the context (a Git URL context, or an export)', code: 'FROM scratch\nCOPY . /app\n'},
    {name: 'a subdirectory', code: 'FROM scratch\nCOPY src/ /app/src/\n', contextSends: sends},
    {name: 'named files', code: 'FROM scratch\nCOPY package.json *.lock /app/\n', contextSends: sends},
    {name: 'from another stage', code: 'FROM scratch AS a\nFROM scratch\nCOPY --from=a . /app\n', contextSends: sends},
    {name: 'a bind mount of a subdirectory', code: 'FROM busybox\nRUN --mount=type=bind,source=src,target=/s ls /s\n', contextSends: sends},
    {name: 'a cache mount', code: 'FROM busybox\nRUN --mount=type=cache,target=/c ls /c\n', contextSends: sends},
    {name: 'a URL', code: 'FROM scratch\nADD https://example.com/x.tar.gz /x\n', contextSends: sends},
    {name: 'a wildcard that cannot match .git', code: 'FROM scratch\nCOPY *.json /app/\n', contextSends: sends},
  ],
  invalid: [
    {
      name: 'COPY . /app',
      origin: 'the commonest Dockerfile line',
      code: 'FROM node:20\nWORKDIR /app\nCOPY . /app\n',
      contextSends: sends,
      errors: [{line: 3, message: /the whole context includes \.git.*\.dockerignore: \.git$/s}],
    },
    {name: 'COPY ./ ./', code: 'FROM node:20\nCOPY ./ ./\n', contextSends: sends, errors: [{line: 2}]},
    {name: 'ADD . with a flag', code: 'FROM node:20\nADD --chown=1000 . /app\n', contextSends: sends, errors: [{line: 2}]},
    {
      name: 'the .git directory itself',
      code: 'FROM scratch\nCOPY .git /app/.git\n',
      contextSends: sends,
      errors: [{message: /^\.git includes/}],
    },
    {name: 'a wildcard that matches .git', code: 'FROM scratch\nCOPY .* /app/\n', contextSends: sends, errors: [{line: 2}]},
    {
      name: 'a whole-context bind mount',
      code: 'FROM busybox\nRUN --mount=type=bind,target=/src make -C /src\n',
      contextSends: sends,
      errors: [{line: 2}],
    },
    {
      name: 'a build arg that names the context',
      code: 'FROM scratch\nARG SRC=.\nCOPY ${SRC} /app\n',
      contextSends: sends,
      errors: [{line: 3}],
    },
    {name: 'the JSON form', code: 'FROM scratch\nCOPY [".", "/app"]\n', contextSends: sends, errors: [{line: 2}]},
  ],
})

t.test('lint finds .git in a real clone, and the .dockerignore line silences it', async (t) => {
  const root = tempDir(t, 'dbuild-git-in-context-')
  const repo = await gitRepo(path.join(root, 'repo'), {Dockerfile: 'FROM scratch\nCOPY . /app\n', 'src/a.txt': 'a\n'})
  const bin = path.join(ROOT, 'bin', 'run.js')
  const env = {...process.env, NO_COLOR: '1', DBUILD_CACHE_DIR: path.join(root, 'cache')}
  const found = await execa(process.execPath, [bin, 'lint', '--format', 'json', '.'], {cwd: repo, env, reject: false})
  const findings = (JSON.parse(found.stdout) as {findings: Array<{ruleId: string; line: number}>}).findings
  t.same(
    findings.filter((finding) => finding.ruleId === 'git-in-context').map((finding) => finding.line),
    [2],
    'COPY . is reported',
    {output: found.stdout},
  )
  writeFileSync(path.join(repo, '.dockerignore'), '.git\n')
  const clean = await execa(process.execPath, [bin, 'lint', '--format', 'json', '.'], {cwd: repo, env, reject: false})
  const after = (JSON.parse(clean.stdout) as {findings: Array<{ruleId: string}>}).findings
  t.same(
    after.filter((finding) => finding.ruleId === 'git-in-context'),
    [],
    'nothing once .dockerignore leaves .git out',
  )
  mkdirSync(path.join(root, 'export'))
  writeFileSync(path.join(root, 'export', 'Dockerfile'), 'FROM scratch\nCOPY . /app\n')
  const exported = await execa(process.execPath, [bin, 'lint', '--format', 'json', '.'], {
    cwd: path.join(root, 'export'),
    env,
    reject: false,
  })
  const none = (JSON.parse(exported.stdout) as {findings: Array<{ruleId: string}>}).findings
  t.same(
    none.filter((finding) => finding.ruleId === 'git-in-context'),
    [],
    'no finding without .git',
  )
})
