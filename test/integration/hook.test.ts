/**
 * The git hooks in real repositories, with git run under a real umask (`sh -c 'umask 002; git …'`):
 * checkout, merge, rebase, worktrees, core.hooksPath, chained foreign hooks, the kill switch.
 */
import {chmodSync, lstatSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'
import t, {type Test} from 'tap'

import {findModeDrift} from '../../src/doctor/modes.js'
import {hookStatus, type HooksLocation, installHooks, locateHooks, uninstallHooks} from '../../src/hook/index.js'
import {normalizeWorkTree} from '../../src/stage/normalize.js'
import {ExitCode} from '../../src/exit-codes.js'
import {ROOT} from '../engine/index.js'
import {gitEnv, gitRepo, sh, tempDir} from '../helpers/index.js'

/** A plain hooks directory, as locateHooks reports one outside any hook manager. */
const plain = (dir: string): HooksLocation => ({dir, root: path.dirname(dir), manager: {kind: 'hooks-dir'}})

const NEWLINE_NAME = 'new\nline.txt'
const FILES: Record<string, string> = {
  'd i r/sub/a b.txt': 'a\n',
  [NEWLINE_NAME]: 'n\n',
  'ünïcødé/日本.txt': 'u\n',
  '--': 'dash\n',
  'run.sh': '#!/bin/sh\n',
  'keep.txt': 'k\n',
  'x.txt': 'x0\n',
}

/** git (or any shell command) in `cwd` under `umask`, as a developer's shell runs it. */
async function under(umask: string, cwd: string, command: string, env: NodeJS.ProcessEnv = {}) {
  return execa('sh', ['-c', `umask ${umask}; ${command}`], {cwd, env: gitEnv(env), reject: false, all: true})
}

/** Paths (and the directories holding them, the top included) whose modes are not canonical. */
async function nonCanonical(root: string): Promise<string[]> {
  return ((await findModeDrift(root))?.wrong ?? [{path: root, mode: '?', want: 'a git work tree'}]).map((w) => `${w.path} ${w.mode}`)
}

/**
 * A source repository with branches: feat (new nested dirs, changed and mode-changed files),
 * side (for a true merge) and topic (for a rebase that rewrites x.txt twice).
 */
async function sourceRepo(dir: string): Promise<string> {
  await gitRepo(dir, FILES, ['run.sh'])
  const env = gitEnv()
  await sh(
    [
      'ln -s run.sh link && git add link && git commit -qm link',
      'git checkout -q -b feat',
      'mkdir -p "new dir/deep" && echo n > "new dir/deep/n.txt" && echo b > "d i r/sub/a b.txt" && printf "m\\n" > "ünïcødé/日本.txt"',
      'chmod +x keep.txt && git add -A && git commit -qm feat',
      'git checkout -q main && git checkout -q -b side && mkdir -p side && echo s > side/s.txt && echo k2 > keep.txt && git add -A && git commit -qm side',
      'git checkout -q main && git checkout -q -b topic && echo x1 > x.txt && git commit -qam topic',
      'git checkout -q main && mkdir -p up && echo u > up/u.txt && git add -A && git commit -qm upstream',
    ].join(' && '),
    {cwd: dir, env},
  )
  return dir
}

/** A clone made under `umask`, with dbuild's hooks installed and its modes normalized (what setup does). */
async function clone(t: Test, source: string, umask: string): Promise<string> {
  const dest = path.join(tempDir(t), 'clone')
  const result = await under(umask, path.dirname(dest), `git clone -q ${JSON.stringify(source)} clone`)
  t.equal(result.exitCode, 0, result.all)
  await sh('git branch -q feat origin/feat && git branch -q side origin/side && git branch -q topic origin/topic', {
    cwd: dest,
    env: gitEnv(),
  })
  installHooks(await locateHooks(dest))
  await normalizeWorkTree(dest)
  return dest
}

const source = await sourceRepo(path.join(tempDir(t, 'dbuild-hook-src-'), 'src'))

for (const umask of ['002', '022']) {
  t.test(`umask ${umask}: checkout, merge and rebase leave canonical modes`, async (t) => {
    const repo = await clone(t, source, umask)
    t.same(await nonCanonical(repo), [], 'normalized after clone')

    const run = async (command: string) => {
      const result = await under(umask, repo, command)
      t.equal(result.exitCode, 0, `${command}: ${result.all}`)
      t.notMatch(result.all ?? '', /dbuild hook/, `${command}: no hook warning`)
      t.same(await nonCanonical(repo), [], `canonical after ${command}`)
    }
    await run('git checkout -q feat')
    t.equal(lstatSync(path.join(repo, 'keep.txt')).mode & 0o777, 0o755, 'mode change 100644 → 100755 applied')
    t.equal(lstatSync(path.join(repo, 'new dir', 'deep')).mode & 0o777, 0o755, 'new nested directory')
    await run('git checkout -q main')
    // a file checkout (post-checkout with $3=0): git rewrites the file under the umask
    writeFileSync(path.join(repo, 'd i r', 'sub', 'a b.txt'), 'local change\n')
    await run(`git checkout -q -- ${JSON.stringify('d i r/sub/a b.txt')}`)
    await run('git merge -q --no-edit side')
    await run('git merge -q --ff-only origin/main')
    await run('git checkout -q topic && git rebase -q main')
    t.equal(readFileSync(path.join(repo, 'x.txt'), 'utf8'), 'x1\n')
    await run('git checkout -q main && git merge -q --squash feat && git commit -qm squash')
    // the hook refreshed the index after its chmod: reset --hard (which runs no hook) rewrites nothing
    await run('git checkout -q feat && git reset -q --hard')
    t.equal(lstatSync(path.join(repo, NEWLINE_NAME)).mode & 0o777, 0o644, 'name with a newline')
  })
}

t.test('a second worktree (git worktree add) gets canonical modes from a full pass', async (t) => {
  const repo = await clone(t, source, '002')
  const worktree = path.join(path.dirname(repo), 'wt')
  const result = await under('002', repo, `git worktree add -q ${JSON.stringify(worktree)} feat`)
  t.equal(result.exitCode, 0, result.all)
  t.same(await nonCanonical(worktree), [])
  t.equal(lstatSync(worktree).mode & 0o777, 0o755, 'the worktree root too')
  const inWorktree = await under('002', worktree, 'git checkout -q -b wt2 side')
  t.equal(inWorktree.exitCode, 0, inWorktree.all)
  t.same(await nonCanonical(worktree), [], 'checkout inside the worktree')
  t.equal((await locateHooks(worktree)).dir, (await locateHooks(repo)).dir, 'worktrees share the hooks')
})

t.test('a foreign hook is chained with its arguments, stdin and exit status, then restored byte for byte', async (t) => {
  const repo = path.join(tempDir(t), 'clone')
  await under('002', path.dirname(repo), `git clone -q ${JSON.stringify(source)} clone`)
  await sh('git branch -q feat origin/feat && git branch -q topic origin/topic', {cwd: repo, env: gitEnv()})
  const {dir} = await locateHooks(repo)
  const foreign =
    '#!/bin/sh\n# a teammate\'s hook\necho "checkout $*" >> "$(git rev-parse --git-dir)/foreign.log"\nexit ${FOREIGN_STATUS:-0}\n'
  const rewrite = '#!/bin/sh\necho "rewrite $1 $(wc -l)" >> "$(git rev-parse --git-dir)/foreign.log"\n'
  writeFileSync(path.join(dir, 'post-checkout'), foreign)
  chmodSync(path.join(dir, 'post-checkout'), 0o750)
  writeFileSync(path.join(dir, 'post-rewrite'), rewrite)
  chmodSync(path.join(dir, 'post-rewrite'), 0o700)
  // not plain sh (a flag on the shebang line): run as a program rather than sourced
  writeFileSync(path.join(dir, 'post-merge'), '#!/bin/sh -e\necho "merge $1 $0" >> "$(git rev-parse --git-dir)/foreign.log"\n')
  chmodSync(path.join(dir, 'post-merge'), 0o755)

  const installed = installHooks(plain(dir))
  t.same(
    installed.map((h) => [h.name, h.action, h.state, h.chained]),
    [
      ['post-checkout', 'chained', 'installed', true],
      ['post-merge', 'chained', 'installed', true],
      ['post-rewrite', 'chained', 'installed', true],
    ],
  )
  const again = installHooks(plain(dir))
  t.same(
    again.map((h) => h.action),
    ['unchanged', 'unchanged', 'unchanged'],
    'install is idempotent',
  )

  await normalizeWorkTree(repo)
  const checkout = await under('002', repo, 'git checkout -q feat', {FOREIGN_STATUS: '3'})
  t.equal(checkout.exitCode, 1, 'git checkout fails when the chained post-checkout fails, as it did before dbuild')
  t.same(await nonCanonical(repo), [], "dbuild's part ran anyway")
  await under('002', repo, 'git checkout -q topic && git rebase -q feat && git checkout -q main && git merge -q --no-edit topic')
  t.same(await nonCanonical(repo), [], 'canonical after the chained rebase and merge')
  const log = readFileSync(path.join(repo, '.git', 'foreign.log'), 'utf8')
  t.match(log, /^checkout [0-9a-f]{40} [0-9a-f]{40} 1$/m, 'same arguments')
  t.match(log, /^rewrite rebase 1$/m, 'same stdin (one rewritten commit)')
  t.match(log, /^merge 0 \S*post-merge\.dbuild-chained$/m, 'a non-sh hook runs as a program')

  const removed = uninstallHooks(plain(dir))
  t.same(
    removed.map((h) => [h.action, h.state]),
    [
      ['restored', 'foreign'],
      ['restored', 'foreign'],
      ['restored', 'foreign'],
    ],
  )
  t.equal(readFileSync(path.join(dir, 'post-checkout'), 'utf8'), foreign, 'bytes restored')
  t.equal(lstatSync(path.join(dir, 'post-checkout')).mode & 0o7777, 0o750, 'mode restored')
  t.equal(lstatSync(path.join(dir, 'post-rewrite')).mode & 0o7777, 0o700, 'mode restored')
  t.same(
    uninstallHooks(plain(dir)).map((h) => h.action),
    ['unchanged', 'unchanged', 'unchanged'],
    'uninstall twice changes nothing',
  )
})

t.test("core.hooksPath (husky's .husky/_) is respected and its hooks keep running", async (t) => {
  const repo = path.join(tempDir(t), 'clone')
  await under('002', path.dirname(repo), `git clone -q ${JSON.stringify(source)} clone`)
  await sh('git branch -q feat origin/feat', {cwd: repo, env: gitEnv()})
  // husky v9's layout: .husky/_/<hook> runs .husky/<hook>
  mkdirSync(path.join(repo, '.husky', '_'), {recursive: true})
  writeFileSync(path.join(repo, '.husky', '_', 'post-checkout'), '#!/usr/bin/env sh\n. "$(dirname "$0")/h"\n')
  writeFileSync(
    path.join(repo, '.husky', '_', 'h'),
    '#!/usr/bin/env sh\nn=$(basename "$0"); s=$(dirname "$(dirname "$0")")/$n\n[ -f "$s" ] || exit 0\nsh -e "$s" "$@"\n',
  )
  chmodSync(path.join(repo, '.husky', '_', 'post-checkout'), 0o755)
  writeFileSync(path.join(repo, '.husky', 'post-checkout'), 'touch .git/husky-ran\n')
  await sh('git config core.hooksPath .husky/_', {cwd: repo})

  const location = await locateHooks(path.join(repo, 'd i r'))
  t.equal(location.dir, path.join(repo, '.husky', '_'))
  t.same(location.manager, {kind: 'husky', dir: path.join(repo, '.husky')}, 'registers through husky')
  const husky = readFileSync(path.join(repo, '.husky', '_', 'post-checkout'), 'utf8')
  installHooks(location)
  t.same(
    hookStatus(location).map((h) => h.state),
    ['installed', 'installed', 'installed'],
  )
  t.equal(readFileSync(path.join(repo, '.husky', '_', 'post-checkout'), 'utf8'), husky, "husky's own directory untouched")
  t.match(
    readFileSync(path.join(repo, '.husky', 'post-checkout'), 'utf8'),
    /^# >>> dbuild-hook [0-9a-f]{12} post-checkout:[^\n]*\n[^]*# <<< dbuild-hook\ntouch \.git\/husky-ran\n$/,
    'a block at the top of the user hook',
  )
  await normalizeWorkTree(repo)
  const result = await under('002', repo, 'git checkout -q feat')
  t.equal(result.exitCode, 0, result.all)
  t.same(await nonCanonical(repo), [])
  t.ok(lstatSync(path.join(repo, '.git', 'husky-ran')).isFile(), "husky's own hook still ran")
  t.same(
    hookStatus(plain(path.join(repo, '.git', 'hooks'))).map((h) => h.state),
    ['missing', 'missing', 'missing'],
    'nothing in .git/hooks',
  )
})

t.test('the hook never fails a checkout: broken config, internal errors, kill switch, sparse checkout', async (t) => {
  const repo = await clone(t, source, '002')
  writeFileSync(path.join(repo, '.dbuild.json'), '{"cacheFrom": [,]}\n')
  const broken = await under('002', repo, 'git checkout -q feat')
  t.equal(broken.exitCode, 0, 'a broken .dbuild.json does not matter to the hook')
  t.same(await nonCanonical(repo), [])

  // a find that fails, first on PATH
  const bin = tempDir(t)
  writeFileSync(path.join(bin, 'find'), '#!/bin/sh\necho "find: broken" >&2\nexit 2\n')
  chmodSync(path.join(bin, 'find'), 0o755)
  const failing = await under('002', repo, 'git checkout -q main', {PATH: `${bin}:${process.env.PATH}`})
  t.equal(failing.exitCode, 0, 'exit 0 on an internal error')
  t.match(failing.all, /dbuild hook \(post-checkout\): could not set canonical file modes/, 'a short warning')

  await normalizeWorkTree(repo)
  const off = await under('002', repo, 'git checkout -q feat', {DBUILD_HOOK: '0'})
  t.equal(off.exitCode, 0)
  t.equal(lstatSync(path.join(repo, 'new dir', 'deep', 'n.txt')).mode & 0o777, 0o664, 'DBUILD_HOOK=0: left as git wrote it')

  await normalizeWorkTree(repo)
  const sparse = await under('002', repo, 'git sparse-checkout set --no-cone "/d i r/" && git checkout -q main && git checkout -q feat')
  t.equal(sparse.exitCode, 0, sparse.all)
  t.notMatch(sparse.all ?? '', /dbuild hook|No such file/, 'sparse: absent paths are skipped')
  t.same(await nonCanonical(repo), [])
})

t.test("the hook refreshes git's index after its chmod, so reset --hard (which runs no hook) rewrites nothing", async (t) => {
  const repo = await clone(t, source, '002')
  // git compares ctime in whole seconds: a find that starts a second late puts the chmod in a later second
  const bin = tempDir(t)
  writeFileSync(path.join(bin, 'find'), `#!/bin/sh\nsleep 1.1\nexec ${(await execa('sh', ['-c', 'command -v find'])).stdout} "$@"\n`)
  chmodSync(path.join(bin, 'find'), 0o755)
  const checkout = await under('002', repo, 'git checkout -q feat', {PATH: `${bin}:${process.env.PATH}`})
  t.equal(checkout.exitCode, 0, checkout.all)
  t.same(await nonCanonical(repo), [], 'the hook fixed the checkout')
  const reset = await under('002', repo, 'git reset -q --hard')
  t.equal(reset.exitCode, 0, reset.all)
  t.same(await nonCanonical(repo), [], 'reset --hard left the files as the hook made them')
})

t.test('hook status reports missing, foreign and installed', async (t) => {
  const dir = tempDir(t)
  t.same(
    hookStatus(plain(dir)).map((h) => h.state),
    ['missing', 'missing', 'missing'],
  )
  writeFileSync(path.join(dir, 'post-merge'), '#!/bin/sh\n')
  installHooks(plain(dir))
  writeFileSync(path.join(dir, 'post-rewrite'), '#!/bin/sh\necho replaced by another tool\n')
  t.same(
    hookStatus(plain(dir)).map((h) => [h.state, h.chained]),
    [
      ['installed', false],
      ['installed', true],
      ['foreign', false],
    ],
  )
  writeFileSync(
    path.join(dir, 'post-checkout'),
    readFileSync(path.join(dir, 'post-checkout'), 'utf8').replace(/dbuild-hook [0-9a-f]{12}/, 'dbuild-hook v1'),
  )
  t.equal(hookStatus(plain(dir))[0]?.outdated, true, 'an older version is outdated')
})

t.test('hook install into a hooks directory the user cannot write exits 73 naming it, not a raw EACCES', async (t) => {
  const base = tempDir(t)
  chmodSync(base, 0o755)
  const repo = path.join(base, 'repo')
  await gitRepo(repo, {'a.txt': 'a\n'})
  const hooks = path.join(repo, '.git', 'hooks')
  // as root (CI containers) permissions do not bind: run the CLI as nobody, owner of all but the hooks
  // directory
  const asRoot = process.getuid?.() === 0
  if (asRoot)
    await sh(`chown -R 65534:65534 ${JSON.stringify(repo)} && chown 0:0 ${JSON.stringify(hooks)} && chmod 755 ${JSON.stringify(hooks)}`)
  else chmodSync(hooks, 0o555)
  // env -i: tap re-adds its NODE_OPTIONS to every child's environment
  const cli = [
    'env',
    '-i',
    `PATH=${process.env.PATH}`,
    `HOME=${base}`,
    'NO_COLOR=1',
    process.execPath,
    path.join(ROOT, 'bin', 'run.js'),
    'hook',
    'install',
  ]
  const [command = '', ...args] = asRoot ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...cli] : cli
  const result = await execa(command, args, {cwd: repo, reject: false, all: true})
  t.equal(result.exitCode, ExitCode.CANT_CREATE, result.all)
  const said = result.all.replace(/\s*›\s*/g, ' ') // oclif wraps at 80 columns
  t.match(said, /\.git\/hooks\/post-checkout: cannot write \(EACCES\)/, 'names the file and the error')
  t.match(said, /writable by you/, 'and how to fix it')
  t.notMatch(result.all, /at .*\.js:\d+/, 'no stack trace')
  if (!asRoot) chmodSync(hooks, 0o755)
})

t.test('names that are not UTF-8 (byte 0xff): clone, branch checkout, file checkout and merge leave them canonical', async (t) => {
  const top = tempDir(t)
  const source = path.join(top, 'bytes-src')
  const name = (text: string): Buffer => Buffer.from(text.replace('%ff', '\xff').replace('%fe', '\xfe'), 'latin1')
  const at = (repo: string, rel: string): Buffer => Buffer.concat([Buffer.from(`${repo}/`), name(rel)])
  await gitRepo(source, {'plain.txt': 'p\n'})
  writeFileSync(at(source, 'b%ff.txt'), 'b0\n')
  await sh('git add -A && git commit -qm bytes && git checkout -q -b feat', {cwd: source, env: gitEnv()})
  mkdirSync(at(source, 'd%fe'))
  writeFileSync(at(source, 'd%fe/n%ff.txt'), 'n\n')
  writeFileSync(at(source, 'b%ff.txt'), 'b1\n')
  await sh('git add -A && git commit -qm feat && git checkout -q main', {cwd: source, env: gitEnv()})

  const cloned = await under('002', top, `git clone -q ${JSON.stringify(source)} clone`)
  t.equal(cloned.exitCode, 0, cloned.all)
  const repo = path.join(top, 'clone')
  await sh('git branch -q feat origin/feat', {cwd: repo, env: gitEnv()})
  t.equal(lstatSync(at(repo, 'b%ff.txt')).mode & 0o777, 0o664, 'cloned under umask 002')
  t.same((await nonCanonical(repo)).length > 0, true, "doctor's drift check sees it")
  installHooks(await locateHooks(repo))
  await normalizeWorkTree(repo)
  t.same(await nonCanonical(repo), [], 'normalized')

  const run = async (command: string) => {
    const result = await under('002', repo, command)
    t.equal(result.exitCode, 0, `${command}: ${result.all}`)
    t.notMatch(result.all ?? '', /dbuild hook/, `${command}: no hook warning`)
    t.same(await nonCanonical(repo), [], `canonical after ${command}`)
  }
  await run('git checkout -q feat')
  t.same(
    [
      lstatSync(at(repo, 'd%fe')).mode & 0o777,
      lstatSync(at(repo, 'd%fe/n%ff.txt')).mode & 0o777,
      lstatSync(at(repo, 'b%ff.txt')).mode & 0o777,
    ],
    [0o755, 0o644, 0o644],
    'branch checkout: new directory and files, the changed one',
  )
  // a file checkout (post-checkout with $3=0) lists what git refreshed through awk
  await new Promise((resolve) => setTimeout(resolve, 1100))
  writeFileSync(at(repo, 'b%ff.txt'), 'local\n')
  await run(`git checkout -q -- "$(printf 'b\\377.txt')"`)
  t.equal(readFileSync(at(repo, 'b%ff.txt'), 'utf8'), 'b1\n', 'the file checkout wrote it')
  t.equal(lstatSync(at(repo, 'b%ff.txt')).mode & 0o777, 0o644, 'file checkout')
  await run('git checkout -q main && git merge -q --ff-only feat')
  const worktree = path.join(top, 'wt')
  await run(`git worktree add -q ${JSON.stringify(worktree)} -b wt2 feat`)
  t.same(await nonCanonical(worktree), [], 'a full pass (worktree add)')
  t.equal(lstatSync(at(worktree, 'd%fe/n%ff.txt')).mode & 0o777, 0o644)
})
