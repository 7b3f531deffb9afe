/**
 * dbuild's hooks beside the real hook managers, husky 9 and lefthook 2, installed from npm: their
 * install, dbuild's, theirs again (as `prepare` and a config change do), dbuild's again; every step
 * exits 0, a checkout under umask 002 gives 644/755, the manager's own hooks still run, and uninstall
 * leaves the manager's files byte for byte. All through the dbuild CLI, as a user runs it.
 */
import {existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {execa} from 'execa'
import t, {type Test} from 'tap'

import {findModeDrift} from '../../src/doctor/modes.js'
import {hookScript} from '../../src/hook/index.js'
import {ROOT} from '../engine/index.js'
import {gitEnv, gitRepo, sh, tempDir} from '../helpers/index.js'

/**
 * The managers' versions under test. They are installed into a private directory with --ignore-scripts
 * rather than as dbuild's devDependencies: lefthook's postinstall runs `lefthook install` in the
 * directory npm was started from, which would put lefthook's hooks and a lefthook.yml into dbuild's
 * own checkout on every `npm ci`.
 */
const HUSKY = 'husky@9.1.7'
const LEFTHOOK = 'lefthook@2.2.2'

/** The dbuild command line, as a shell runs it. */
const DBUILD = `${JSON.stringify(process.execPath)} ${JSON.stringify(path.join(ROOT, 'bin', 'run.js'))}`

/** node_modules with both managers, installed from npm once per machine and reused. */
async function managers(): Promise<string> {
  const dir = path.join(os.tmpdir(), `dbuild-test-managers-${HUSKY}-${LEFTHOOK}`.replace(/@/g, '-'))
  if (existsSync(path.join(dir, 'node_modules', '.complete'))) return path.join(dir, 'node_modules')
  const scratch = `${dir}.${process.pid}`
  mkdirSync(scratch, {recursive: true})
  writeFileSync(path.join(scratch, 'package.json'), '{"private": true}\n')
  await execa('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--no-save', HUSKY, LEFTHOOK], {cwd: scratch})
  writeFileSync(path.join(scratch, 'node_modules', '.complete'), '')
  try {
    renameSync(scratch, dir)
  } catch {
    // another test process got there first; its copy is as good
  }
  return path.join(dir, 'node_modules')
}

const modules = await managers()
const toolsPath = `${path.join(modules, '.bin')}:${process.env.PATH}`

/** A command in `cwd` under umask 002, as a developer's shell with a group-writable umask runs it. */
async function run(cwd: string, command: string, env: NodeJS.ProcessEnv = {}) {
  return execa('sh', ['-c', `umask 002; ${command}`], {
    cwd,
    env: gitEnv({PATH: toolsPath, NO_COLOR: '1', CI: '', ...env}),
    reject: false,
    all: true,
  })
}

/** `dbuild ARGS` in `cwd`, with the managers on PATH. */
async function dbuild(cwd: string, args: string) {
  return run(cwd, `${DBUILD} ${args}`)
}

/** `dbuild hook install` once more changes nothing. */
async function installAgainChangesNothing(t: Test, repo: string) {
  const again = await dbuild(repo, 'hook install --json')
  t.equal(again.exitCode, 0, again.all)
  t.same(
    (JSON.parse(again.stdout) as {hooks: Array<{action: string}>}).hooks.map((h) => h.action),
    ['unchanged', 'unchanged', 'unchanged'],
    'dbuild again changes nothing',
  )
}

/** normalize, then a branch checkout, a file checkout and a merge under umask 002 each leave 644/755. */
async function checkoutsStayCanonical(t: Test, repo: string) {
  await ok(t, repo, `${DBUILD} normalize`, 'dbuild normalize')
  await ok(t, repo, 'git checkout -q feat')
  await canonical(t, repo, 'a branch checkout under umask 002')
  await ok(t, repo, 'echo local > a.txt && git checkout -q -- a.txt')
  await canonical(t, repo, 'a file checkout')
  await ok(t, repo, 'git checkout -q main && git merge -q --no-edit feat')
  await canonical(t, repo, 'a merge')
}

async function ok(t: Test, cwd: string, command: string, what = command) {
  const result = await run(cwd, command)
  t.equal(result.exitCode, 0, `${what} exits 0: ${result.all}`)
  return result.all ?? ''
}

/** Every file below `dir` (relative path → bytes as base64), for byte-for-byte comparisons. */
function snapshot(dir: string, keep: (rel: string) => boolean = () => true): Record<string, string> {
  const files: Record<string, string> = {}
  const walk = (rel: string) => {
    for (const entry of readdirSync(path.join(dir, rel), {withFileTypes: true})) {
      const child = rel ? `${rel}/${entry.name}` : entry.name
      if (entry.isDirectory()) walk(child)
      else if (keep(child)) files[child] = readFileSync(path.join(dir, child)).toString('base64')
    }
  }
  if (existsSync(dir)) walk('')
  return files
}

async function statusOf(cwd: string): Promise<{states: string[]; via: string; displacedBy: Array<string | undefined>}> {
  const result = await dbuild(cwd, 'hook status --json')
  const report = JSON.parse(result.stdout) as {location: {manager: {kind: string}}; hooks: Array<{state: string; displacedBy?: string}>}
  return {states: report.hooks.map((h) => h.state), via: report.location.manager.kind, displacedBy: report.hooks.map((h) => h.displacedBy)}
}

async function canonical(t: Test, repo: string, what: string) {
  t.same((await findModeDrift(repo))?.wrong, [], `644/755 after ${what}`)
}

/** A repository with a branch that adds nested files and an executable, cloned under umask 002. */
async function cloneWith(t: Test, files: Record<string, string>): Promise<string> {
  const base = tempDir(t, 'dbuild-managers-')
  const source = await gitRepo(path.join(base, 'src'), {'a.txt': 'a\n', 'bin/run.sh': '#!/bin/sh\n', ...files}, ['bin/run.sh'])
  await sh(
    'git checkout -q -b feat && mkdir -p "new/deep" && echo n > new/deep/n.txt && echo b > a.txt && printf "#!/bin/sh\\n" > new/x.sh && chmod +x new/x.sh && git add -A && git commit -qm feat && git checkout -q main',
    {cwd: source, env: gitEnv()},
  )
  const repo = path.join(base, 'clone')
  const cloned = await run(base, `git clone -q src clone && cd clone && git branch -q feat origin/feat`)
  t.equal(cloned.exitCode, 0, cloned.all)
  return repo
}

t.test('husky 9: install, dbuild, husky again, dbuild again; checkouts canonical; uninstall byte for byte', async (t) => {
  const repo = await cloneWith(t, {'.husky/post-checkout': 'echo "husky post-checkout $3" >> .git/husky.log\n'})
  const husky = `node ${JSON.stringify(path.join(modules, 'husky', 'bin.js'))}`
  await ok(t, repo, husky, 'husky (what prepare runs)')
  const before = {
    hooks: snapshot(path.join(repo, '.husky', '_')),
    user: snapshot(path.join(repo, '.husky'), (rel) => !rel.startsWith('_/')),
  }

  t.match(await ok(t, repo, `${DBUILD} hook install`, 'dbuild hook install'), /registered through: husky/)
  t.same(await statusOf(repo), {
    states: ['installed', 'installed', 'installed'],
    via: 'husky',
    displacedBy: [undefined, undefined, undefined],
  })
  await ok(t, repo, husky, 'husky again')
  t.same(snapshot(path.join(repo, '.husky', '_')), before.hooks, 'dbuild never writes into .husky/_')
  await installAgainChangesNothing(t, repo)

  await checkoutsStayCanonical(t, repo)
  t.match(
    readFileSync(path.join(repo, '.git', 'husky.log'), 'utf8'),
    /^husky post-checkout 1\nhusky post-checkout 0\nhusky post-checkout 1\n$/,
    "husky's own post-checkout still runs, after dbuild's block",
  )

  await ok(t, repo, `${DBUILD} hook uninstall`, 'dbuild hook uninstall')
  t.same(snapshot(path.join(repo, '.husky', '_')), before.hooks, '.husky/_ byte for byte')
  t.same(
    snapshot(path.join(repo, '.husky'), (rel) => !rel.startsWith('_/')),
    before.user,
    '.husky/<hook> byte for byte, the files dbuild created gone',
  )
  t.same((await statusOf(repo)).states, ['missing', 'missing', 'missing'])
})

t.test('husky 9 over a hook dbuild ≤ 0.1 put into .husky/_: status says displaced by husky, install repairs it', async (t) => {
  const repo = await cloneWith(t, {})
  const husky = `node ${JSON.stringify(path.join(modules, 'husky', 'bin.js'))}`
  await ok(t, repo, husky)
  const stubs = snapshot(path.join(repo, '.husky', '_'))
  // what the old installer did: husky's stub kept as .dbuild-chained, dbuild's hook in its place
  for (const name of ['post-checkout', 'post-merge', 'post-rewrite']) {
    const file = path.join(repo, '.husky', '_', name)
    renameSync(file, `${file}.dbuild-chained`)
    writeFileSync(file, hookScript(name as 'post-checkout'), {mode: 0o755})
  }
  await ok(t, repo, husky, 'husky rewrites its stubs (npm install)')
  const status = await statusOf(repo)
  t.same(status.states, ['displaced', 'displaced', 'displaced'])
  t.same(status.displacedBy, ['husky', 'husky', 'husky'], 'names the tool')
  const text = await dbuild(repo, 'hook status')
  t.match(text.stdout, /husky replaced or moved dbuild's hook: run dbuild hook install/, 'and the one command that fixes it')
  const doctor = await dbuild(repo, 'doctor --json')
  t.match(doctor.stdout, /displaced by husky/, 'doctor says so too')

  const repair = await dbuild(repo, 'hook install --json')
  t.equal(repair.exitCode, 0, repair.all)
  t.same(
    (JSON.parse(repair.stdout) as {hooks: Array<{action: string; state: string}>}).hooks.map((h) => [h.state, h.action]),
    [
      ['installed', 'repaired'],
      ['installed', 'repaired'],
      ['installed', 'repaired'],
    ],
  )
  t.same(snapshot(path.join(repo, '.husky', '_')), stubs, "no .dbuild-chained left; husky's stubs as husky wrote them")
})

t.test('lefthook 2: install, dbuild, lefthook again after a config change, dbuild again; uninstall byte for byte', async (t) => {
  const config = 'post-checkout:\n  commands:\n    own:\n      run: echo "lefthook own {3}" >> .git/lefthook.log\n'
  const repo = await cloneWith(t, {'lefthook.yml': config})
  await ok(t, repo, 'lefthook install')
  const hooksDir = path.join(repo, '.git', 'hooks')
  const managerFiles = () => ({
    hooks: snapshot(hooksDir, (rel) => !rel.endsWith('.sample')),
    config: readFileSync(path.join(repo, 'lefthook.yml'), 'utf8'),
  })
  const before = managerFiles()

  t.match(await ok(t, repo, `${DBUILD} hook install`, 'dbuild hook install'), /registered through: lefthook/)
  t.same(await statusOf(repo), {
    states: ['installed', 'installed', 'installed'],
    via: 'lefthook',
    displacedBy: [undefined, undefined, undefined],
  })
  t.equal(readFileSync(path.join(repo, 'lefthook.yml'), 'utf8'), config, 'lefthook.yml untouched without --shared')
  t.ok(existsSync(path.join(repo, 'lefthook-local.yml')), 'registered in lefthook-local.yml')

  // a config change: lefthook re-installs on its next run, and `lefthook install` does it at once
  writeFileSync(path.join(repo, 'lefthook.yml'), `${config}# changed\n`)
  await ok(t, repo, 'lefthook install', 'lefthook install again')
  writeFileSync(path.join(repo, 'lefthook.yml'), config)
  await ok(t, repo, 'lefthook install', 'lefthook install once more')
  await installAgainChangesNothing(t, repo)

  await checkoutsStayCanonical(t, repo)
  t.match(
    readFileSync(path.join(repo, '.git', 'lefthook.log'), 'utf8'),
    /^lefthook own 1\nlefthook own 0\nlefthook own 1\n$/,
    "lefthook's own command still runs",
  )

  await ok(t, repo, `${DBUILD} hook uninstall`, 'dbuild hook uninstall')
  t.same(managerFiles(), before, "lefthook's hooks and lefthook.yml byte for byte")
  t.notOk(existsSync(path.join(repo, 'lefthook-local.yml')), 'the lefthook-local.yml dbuild created is gone')
  t.notOk(existsSync(path.join(repo, '.lefthook-local')), 'and its scripts')
})

t.test("lefthook 2 over dbuild's plain hooks: lefthook moves them to .old; status names it, install repairs", async (t) => {
  const repo = await cloneWith(t, {})
  const hooksDir = path.join(repo, '.git', 'hooks')
  writeFileSync(path.join(hooksDir, 'post-merge'), '#!/bin/sh\necho "foreign merge" >> .git/foreign.log\n', {mode: 0o755})
  await ok(t, repo, `${DBUILD} hook install`, 'dbuild hook install (plain)')
  writeFileSync(
    path.join(repo, 'lefthook.yml'),
    'post-checkout:\n  commands:\n    own:\n      run: echo own >> .git/lefthook.log\npost-merge:\n  commands:\n    own:\n      run: echo own >> .git/lefthook.log\npost-rewrite:\n  commands:\n    own:\n      run: echo own >> .git/lefthook.log\n',
  )
  await ok(t, repo, 'lefthook install')
  t.match(readFileSync(path.join(hooksDir, 'post-checkout.old'), 'utf8'), /^# dbuild-hook /m, "lefthook moved dbuild's hook to .old")
  const status = await statusOf(repo)
  t.same(status.states, ['displaced', 'displaced', 'displaced'])
  t.same(status.displacedBy, ['lefthook', 'lefthook', 'lefthook'])

  const repair = await dbuild(repo, 'hook install')
  t.equal(repair.exitCode, 0, repair.all)
  t.same((await statusOf(repo)).states, ['installed', 'installed', 'installed'])
  t.notOk(existsSync(path.join(hooksDir, 'post-checkout.old')), "dbuild's displaced hook removed")
  t.equal(
    readFileSync(path.join(hooksDir, 'post-merge.old'), 'utf8'),
    '#!/bin/sh\necho "foreign merge" >> .git/foreign.log\n',
    'the foreign hook dbuild chained is where lefthook keeps foreign hooks',
  )
  await ok(t, repo, `${DBUILD} normalize && git checkout -q feat`)
  await canonical(t, repo, 'a checkout after the repair')
})

t.test(
  'lefthook 2 with --shared into a lefthook.yml that already has a post-checkout section: registered inside it, cut out byte for byte',
  async (t) => {
    const config =
      '# team hooks\npre-commit:\n  commands:\n    lint:\n      run: echo lint\n\npost-checkout:   # ours\n    commands:\n        own:\n            run: echo "lefthook own {3}" >> .git/lefthook.log\n'
    const repo = await cloneWith(t, {'lefthook.yml': config})
    await ok(t, repo, 'lefthook install')
    const hooksDir = path.join(repo, '.git', 'hooks')
    const before = snapshot(hooksDir, (rel) => !rel.endsWith('.sample'))

    await ok(t, repo, `${DBUILD} hook install --shared`, 'dbuild hook install --shared')
    const shared = readFileSync(path.join(repo, 'lefthook.yml'), 'utf8')
    t.match(
      shared,
      /^post-checkout: {3}# ours\n {4}# >>> dbuild-hook [0-9a-f]{12} post-checkout:[^\n]*\n {4}scripts:\n {8}"dbuild-modes\.sh":\n {12}runner: sh\n {4}# <<< dbuild-hook\n {4}commands:\n/m,
      'inside the existing section, at its indentation',
    )
    t.match(
      shared,
      /^# >>> dbuild-hook [0-9a-f]{12} lefthook:[^\n]*\n# lefthook hooks installed for dbuild: post-merge post-rewrite\npost-merge:\n/m,
      'the missing sections at the end',
    )
    t.ok(existsSync(path.join(repo, '.lefthook', 'post-checkout', 'dbuild-modes.sh')), 'the script where lefthook looks for shared scripts')
    t.same((await statusOf(repo)).states, ['installed', 'installed', 'installed'])
    await ok(t, repo, 'lefthook install', 'lefthook install again')
    await installAgainChangesNothing(t, repo)
    t.equal(readFileSync(path.join(repo, 'lefthook.yml'), 'utf8'), shared, 'lefthook.yml unchanged by the second install')

    await checkoutsStayCanonical(t, repo)
    t.match(
      readFileSync(path.join(repo, '.git', 'lefthook.log'), 'utf8'),
      /^lefthook own 1\nlefthook own 0\nlefthook own 1\n$/,
      "lefthook's own command still runs",
    )

    await ok(t, repo, `${DBUILD} hook uninstall`, 'dbuild hook uninstall')
    t.equal(readFileSync(path.join(repo, 'lefthook.yml'), 'utf8'), config, 'lefthook.yml byte for byte')
    t.same(
      snapshot(hooksDir, (rel) => !rel.endsWith('.sample')),
      before,
      "lefthook's hooks byte for byte",
    )
    t.notOk(existsSync(path.join(repo, '.lefthook')), 'the scripts dbuild added are gone')
  },
)
