/** `dbuild setup` in real clones made under umask 002: config, hooks, normalize, doctor, idempotent. */
import {chmodSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'
import t, {type Test} from 'tap'

import {findModeDrift} from '../../src/doctor/index.js'
import {runSetup, type SetupReport} from '../../src/setup/index.js'
import {ROOT} from '../engine/index.js'
import {cloneUnderUmask, gitRepo, tempDir} from '../helpers/index.js'

// doctor's docker probes fail fast against a socket that does not exist; setup still completes
const NO_DOCKER = {...process.env, DOCKER_HOST: 'unix:///nonexistent/docker.sock'}
const SPEC = 'type=registry,ref=registry.example.com/app:cache'

async function checkout(t: Test): Promise<string> {
  const dir = tempDir(t)
  const source = await gitRepo(path.join(dir, 'src'), {'bin/run.sh': '#!/bin/sh\n', 'src/a b.txt': 'a\n'}, ['bin/run.sh'])
  return cloneUnderUmask(source, path.join(dir, 'clone'), '002')
}

t.test('setup on a fresh clone, then again: the second run changes nothing', async (t) => {
  const repo = await checkout(t)
  t.ok((await findModeDrift(repo))?.wrong.length, 'the clone starts with umask-002 modes')
  const first = await runSetup({cwd: path.join(repo, 'src'), cacheFrom: [SPEC], env: NO_DOCKER})
  t.equal(first.config.action, 'created')
  t.same(JSON.parse(readFileSync(path.join(repo, '.dbuild.json'), 'utf8')), {cacheFrom: [SPEC]}, 'at the git root')
  t.same(
    first.hooks.hooks.map((h) => h.state),
    ['installed', 'installed', 'installed'],
  )
  t.ok(first.normalized.changed > 0)
  t.same((await findModeDrift(repo))?.wrong, [], 'work tree normalized')
  t.equal(first.doctor.checks.find((c) => c.id === 'hooks')?.status, 'pass', 'doctor ran after the hooks')
  t.equal(first.doctor.checks.find((c) => c.id === 'config')?.status, 'pass')
  t.match(first.nextSteps.join('\n'), /commit .*\.dbuild\.json/)
  t.match(first.nextSteps.join('\n'), /docker daemon: Start the docker daemon/, 'failed checks become next steps')

  const second = await runSetup({cwd: repo, cacheFrom: [SPEC], env: NO_DOCKER})
  t.equal(second.config.action, 'kept')
  t.same(
    second.hooks.hooks.map((h) => h.action),
    ['unchanged', 'unchanged', 'unchanged'],
  )
  t.equal(second.normalized.changed, 0)
})

t.test('an existing .dbuild.json keeps its other keys and gains missing cacheFrom specs; a broken one is left alone', async (t) => {
  const repo = await checkout(t)
  const file = path.join(repo, '.dbuild.json')
  writeFileSync(file, '{\n  "defaultBranch": "main",\n  "cacheFrom": ["type=registry,ref=a.example/x"]\n}\n')
  const report = await runSetup({cwd: repo, cacheFrom: [SPEC], env: NO_DOCKER})
  t.equal(report.config.action, 'updated')
  t.same(JSON.parse(readFileSync(file, 'utf8')), {defaultBranch: 'main', cacheFrom: ['type=registry,ref=a.example/x', SPEC]})

  writeFileSync(file, '{"cacheFrom": [,]}\n')
  const broken = await runSetup({cwd: repo, cacheFrom: [SPEC], env: NO_DOCKER})
  t.equal(broken.config.action, 'invalid')
  t.match(broken.config.error, /\.dbuild\.json:1:16: invalid JSON: expected a value/)
  t.equal(readFileSync(file, 'utf8'), '{"cacheFrom": [,]}\n', 'not overwritten')
  t.equal(broken.doctor.checks.find((c) => c.id === 'config')?.status, 'fail')
})

t.test('setup asks only when it may, and the CLI never asks without a TTY', async (t) => {
  const repo = await checkout(t)
  const questions: string[] = []
  const asked = await runSetup({cwd: repo, env: NO_DOCKER, ask: async (q) => (questions.push(q), 'type=registry,ref=r.example/app:cache')})
  t.equal(questions.length, 1)
  t.same(JSON.parse(readFileSync(path.join(repo, '.dbuild.json'), 'utf8')), {cacheFrom: ['type=registry,ref=r.example/app:cache']})
  t.equal(asked.config.action, 'created')

  const other = await checkout(t)
  const cli = await execa(process.execPath, [path.join(ROOT, 'bin', 'run.js'), 'setup', '--json'], {
    cwd: other,
    env: NO_DOCKER,
    reject: false,
    input: '',
  })
  const report = JSON.parse(cli.stdout) as SetupReport
  t.equal(cli.exitCode, 1, 'doctor failed (no daemon): exit FINDINGS')
  t.equal(report.config.action, 'created')
  t.same(JSON.parse(readFileSync(path.join(other, '.dbuild.json'), 'utf8')), {cacheFrom: []}, 'asked nothing')
})

t.test('setup and doctor say which config is used, and that one was found and refused, and why', async (t) => {
  const repo = await checkout(t)
  const bin = path.join(ROOT, 'bin', 'run.js')
  const dockerConfig = tempDir(t)
  const env = {...NO_DOCKER, DOCKER_CONFIG: dockerConfig, NO_COLOR: '1'}
  const setup = await execa(process.execPath, [bin, 'setup', '--json'], {cwd: path.join(repo, 'src'), env, reject: false, input: ''})
  t.match(
    setup.stderr,
    new RegExp(`^dbuild: config: ${path.join(repo, '.dbuild.json').replaceAll('/', '\\/')}$`, 'm'),
    'the config setup created, as build prints it',
  )

  // a checkout anyone may write: builds refuse its .dbuild.json, and doctor must say so, not "none found"
  chmodSync(repo, 0o777)
  t.teardown(() => chmodSync(repo, 0o755))
  const doctor = await execa(process.execPath, [bin, 'doctor', '--json'], {cwd: repo, env, reject: false})
  const config = (JSON.parse(doctor.stdout) as SetupReport['doctor']).checks.find((check) => check.id === 'config')
  t.equal(config?.status, 'warn')
  t.match(
    config?.detail,
    new RegExp(`^${path.join(repo, '.dbuild.json')}.* was found and refused: its directory .* is writable by every user$`),
  )
  t.match(config?.fix, /chmod o-w/)
  // setup normalizes the checkout's top to 0755; an untracked .dbuild.json anyone may write stays refused
  chmodSync(path.join(repo, '.dbuild.json'), 0o666)
  const again = await execa(process.execPath, [bin, 'setup'], {cwd: repo, env, reject: false, input: ''})
  t.match(again.stderr, /dbuild: warning: .*\.dbuild\.json was not used: the file is writable by every user/, 'setup warns as build does')
  t.match(again.stderr, /^dbuild: config: none used$/m)
  t.match(again.stdout, /\.dbuild\.json was found and refused/, 'and its doctor step says why')
})

t.test('doctor outside git names a .dbuild.json above the directory, which no command reads there', async (t) => {
  const shared = tempDir(t)
  writeFileSync(path.join(shared, '.dbuild.json'), '{"cacheFrom": []}\n')
  const project = path.join(shared, 'project')
  mkdirSync(project)
  const doctor = await execa(process.execPath, [path.join(ROOT, 'bin', 'run.js'), 'doctor', '--json'], {
    cwd: project,
    env: NO_DOCKER,
    reject: false,
  })
  const config = (JSON.parse(doctor.stdout) as SetupReport['doctor']).checks.find((check) => check.id === 'config')
  t.equal(config?.status, 'warn')
  t.match(config?.detail, `${path.join(shared, '.dbuild.json')} was found and refused: outside a git work tree`)
  t.match(config?.fix, /--config/)
})

t.test(
  'a --cache-from spec with a control character (a CR pasted from Windows) is refused with 2, before anything is written',
  async (t) => {
    const repo = await checkout(t)
    const bin = path.join(ROOT, 'bin', 'run.js')
    for (const spec of [`${SPEC}\r`, `${SPEC}\n--push`, ' ']) {
      const cli = await execa(process.execPath, [bin, 'setup', '--yes', '--cache-from', spec], {
        cwd: repo,
        env: NO_DOCKER,
        reject: false,
        input: '',
      })
      t.equal(cli.exitCode, 2, `refused: ${JSON.stringify(spec)}`, {stderr: cli.stderr})
      t.match(cli.stderr, /--cache-from ".*" (contains a control character|is empty)/)
      t.throws(() => readFileSync(path.join(repo, '.dbuild.json')), 'no .dbuild.json was written')
    }
    const ok = await execa(process.execPath, [bin, 'setup', '--yes', '--cache-from', SPEC], {
      cwd: repo,
      env: NO_DOCKER,
      reject: false,
      input: '',
    })
    t.not(ok.exitCode, 2, 'a clean spec is taken')
    t.same(JSON.parse(readFileSync(path.join(repo, '.dbuild.json'), 'utf8')), {cacheFrom: [SPEC]})
  },
)
