/**
 * explain names `.git` as the cause when a COPY takes it: two clones of one commit, or a clone
 * against a Git URL context (an export without .git, as BuildKit's git source gives), never share
 * that step's cache; with `.git` in .dockerignore they do.
 */
import path from 'node:path'

import {execa} from 'execa'
import t from 'tap'

import {ExitCode} from '../../src/exit-codes.js'
import {ROOT} from '../engine/index.js'
import {cloneUnderUmask, gitRepo, sh, tempDir} from '../helpers/index.js'

const BIN = path.join(ROOT, 'bin', 'run.js')
const root = tempDir(t, 'dbuild-explain-git-')
const env: NodeJS.ProcessEnv = {...process.env, DBUILD_CACHE_DIR: path.join(root, 'cache'), NO_COLOR: '1'}
delete env.CI

const run = (args: string[], cwd: string) => execa(process.execPath, [BIN, ...args], {cwd, env, reject: false})

interface Report {
  miss: boolean
  firstMiss?: {line: number}
  causes: Array<{kind: string; message: string}>
  differences: Array<{path: string}>
}

t.test('COPY . takes .git: another clone, and a Git URL context, miss there, and explain says why', async (t) => {
  const source = await gitRepo(path.join(root, 'source'), {Dockerfile: 'FROM scratch\nCOPY . /app\n', 'src/a.txt': 'a\n'})
  const ci = await cloneUnderUmask(source, path.join(root, 'ci'), '022')
  const dev = await cloneUnderUmask(source, path.join(root, 'dev'), '002')
  // a commit of the developer's own: HEAD and the refs differ, as they do between any two clones in use
  await sh('git -c user.name=d -c user.email=d@x commit -q --allow-empty -m wip', {cwd: dev})
  const manifest = path.join(root, 'ci.jsonl')
  t.equal((await run(['stage', '.', '--manifest', manifest], ci)).exitCode, 0)

  const text = await run(['explain', '--against', manifest, dev], root)
  t.equal(text.exitCode, ExitCode.FINDINGS, 'a step would miss', {stdout: text.stdout})
  t.match(text.stdout, /under \.git differ and line 2 \(COPY \. \/app\) copies them/)
  t.match(text.stdout, /add a line `\.git` to \.dockerignore/)
  const json = JSON.parse((await run(['explain', '--against', manifest, dev, '--json'], root)).stdout) as Report
  t.equal(json.firstMiss?.line, 2)
  t.ok(json.causes.some((cause) => cause.kind === 'git'))
  t.ok(
    json.differences.every((difference) => difference.path.startsWith('.git')),
    'only .git differs',
    {paths: json.differences.map((d) => d.path)},
  )

  // a Git URL context: the commit's files, no .git
  const exported = path.join(root, 'exported')
  await sh(`mkdir ${JSON.stringify(exported)} && git archive HEAD | tar -x -C ${JSON.stringify(exported)}`, {cwd: source})
  const urlManifest = path.join(root, 'url.jsonl')
  t.equal((await run(['stage', '.', '--manifest', urlManifest], exported)).exitCode, 0)
  const fromUrl = JSON.parse((await run(['explain', '--against', urlManifest, dev, '--json'], root)).stdout) as Report
  t.equal(fromUrl.miss, true)
  t.ok(
    fromUrl.causes.some((cause) => cause.kind === 'git'),
    'the cause is .git, which the Git URL context has not',
  )
})

t.test('with .git in .dockerignore both clones share the step', async (t) => {
  const source = await gitRepo(path.join(root, 'ignored'), {
    Dockerfile: 'FROM scratch\nCOPY . /app\n',
    '.dockerignore': '.git\n',
    'src/a.txt': 'a\n',
  })
  const ci = await cloneUnderUmask(source, path.join(root, 'ignored-ci'), '022')
  const dev = await cloneUnderUmask(source, path.join(root, 'ignored-dev'), '002')
  await sh('git -c user.name=d -c user.email=d@x commit -q --allow-empty -m wip', {cwd: dev})
  const manifest = path.join(root, 'ignored.jsonl')
  t.equal((await run(['stage', '.', '--manifest', manifest], ci)).exitCode, 0)
  const explained = await run(['explain', '--against', manifest, dev], root)
  t.equal(explained.exitCode, 0, explained.stdout)
  t.notMatch(explained.stdout, /\.git/)
})
