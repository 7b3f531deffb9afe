/** stageContext on real temp dirs and real git clones: modes, links, special files, errors, locking and sync. */
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {execa} from 'execa'
import t from 'tap'

import {ExitCode} from '../../src/exit-codes.js'
import {contextIsCanonical, stageContext, stageRootFor} from '../../src/stage/index.js'
import {cloneUnderUmask, gitRepo, sh, tempDir, writeTree} from '../helpers/index.js'
import {listTree} from './listing.js'

const root = tempDir(t, 'dbuild-stage-')
const STAGE_MODULE = fileURLToPath(new URL('../../src/stage/index.ts', import.meta.url))
const TS_LOADER = process.execArgv.filter((arg) => arg.includes('typescript'))

/** stageContext in a separate node process (optionally started through `prefix`, e.g. setpriv). */
async function stageInChild(options: object, prefix: string[] = []) {
  const script = `
    const {stageContext} = await import(${JSON.stringify(STAGE_MODULE)})
    try {
      console.log(JSON.stringify(await stageContext(JSON.parse(process.env.STAGE_OPTIONS))))
    } catch (error) {
      console.log(JSON.stringify({error: error.message, exit: error.exit}))
      process.exitCode = error.exit ?? 70
    }`
  const [command, ...args] = [...prefix, process.execPath, ...TS_LOADER, '--input-type=module', '-e', script]
  const result = await execa(command as string, args, {env: {STAGE_OPTIONS: JSON.stringify(options)}, reject: false})
  return {
    exitCode: result.exitCode,
    output: JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>,
    stderr: result.stderr,
  }
}

const FILES = {
  Dockerfile: 'FROM scratch\nCOPY . /\n',
  '.dockerignore': '.git\n',
  'src/hello.txt': 'hello\n',
  'src/run.sh': '#!/bin/sh\necho run\n',
  'src/deep/er/data.bin': 'x'.repeat(5000),
  'docs/readme.md': '# docs\n',
}

t.test('checkouts under umask 002 and 022 with stray modes stage to identical, canonical trees', async (t) => {
  const source = await gitRepo(path.join(root, 'umask-source'), FILES, ['src/run.sh'])
  symlinkSync('src/hello.txt', path.join(source, 'link'))
  await sh('git add link && git commit -qm link', {
    cwd: source,
    env: {...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t'},
  })
  const a = await cloneUnderUmask(source, path.join(root, 'umask-002'), '002')
  const b = await cloneUnderUmask(source, path.join(root, 'umask-022'), '022')
  t.equal(statSync(path.join(a, 'src/hello.txt')).mode & 0o777, 0o664)
  t.equal(statSync(path.join(b, 'src/hello.txt')).mode & 0o777, 0o644)
  // stray modes a shared checkout picks up
  chmodSync(path.join(a, 'docs/readme.md'), 0o600)
  chmodSync(path.join(a, 'src/run.sh'), 0o777)
  chmodSync(path.join(b, 'src/hello.txt'), 0o666)
  chmodSync(path.join(a, 'src/deep'), 0o2775)
  chmodSync(path.join(b, 'src/run.sh'), 0o4755)
  chmodSync(path.join(b, 'docs'), 0o1777)

  const stagedA = await stageContext({context: a, out: path.join(root, 'umask-stage-a')})
  const stagedB = await stageContext({context: b, out: path.join(root, 'umask-stage-b')})
  const listA = listTree(stagedA.dir)
  t.same(listA, listTree(stagedB.dir), 'path, type, mode, bytes and link target all equal')
  const modes = Object.fromEntries(listA.map((entry) => [entry.path, entry.mode]))
  t.match(modes, {'src/hello.txt': '644', 'src/run.sh': '755', 'docs/readme.md': '644', 'src/deep': '755', docs: '755', Dockerfile: '644'})
  t.equal(statSync(stagedA.dir).mode & 0o7777, 0o755, 'the stage root is 0755 too')
  t.notOk(
    listA.some((entry) => entry.path.startsWith('.git/') || entry.path === '.git'),
    '.dockerignore applied',
  )
  t.same(
    listA.find((entry) => entry.path === 'link'),
    {path: 'link', type: 'symlink', mode: '', target: 'src/hello.txt'},
  )
  t.equal(stagedA.files, 7, 'regular files and symlinks')
  t.equal(
    stagedA.bytes,
    listA.reduce((sum, entry) => sum + (entry.size ?? 0), 0),
  )
})

t.test('symlinks stay links: outside-pointing and broken ones included, targets never followed', async (t) => {
  const context = path.join(root, 'links')
  writeTree(context, {'dir/file': 'x'})
  symlinkSync('/etc', path.join(context, 'outside-dir'))
  symlinkSync('../../../nowhere', path.join(context, 'dir/broken'))
  symlinkSync('dir', path.join(context, 'to-dir'))
  const staged = await stageContext({context, out: path.join(root, 'links-stage')})
  t.same(
    listTree(staged.dir).filter((entry) => entry.type === 'symlink'),
    [
      {path: 'dir/broken', type: 'symlink', mode: '', target: '../../../nowhere'},
      {path: 'outside-dir', type: 'symlink', mode: '', target: '/etc'},
      {path: 'to-dir', type: 'symlink', mode: '', target: 'dir'},
    ],
  )
})

t.test('setuid bits, mtimes and user.* xattrs', async (t) => {
  const context = path.join(root, 'bits')
  writeTree(context, {tool: 'bin', data: 'd', 'sub/f': 'f'})
  chmodSync(path.join(context, 'tool'), 0o6755)
  chmodSync(path.join(context, 'sub'), 0o3777)
  utimesSync(path.join(context, 'data'), 1_000_000, 1_234_567.891)
  utimesSync(path.join(context, 'sub'), 1_000_000, 1_111_111)
  const xattr = await execa('python3', ['-c', 'import os,sys; os.setxattr(sys.argv[1], "user.origin", b"x")', path.join(context, 'data')], {
    reject: false,
  })
  const staged = await stageContext({context, out: path.join(root, 'bits-stage')})
  t.equal(statSync(path.join(staged.dir, 'tool')).mode & 0o7777, 0o755)
  t.equal(statSync(path.join(staged.dir, 'sub')).mode & 0o7777, 0o755)
  t.equal(statSync(path.join(staged.dir, 'data')).mtimeMs, statSync(path.join(context, 'data')).mtimeMs, 'file mtime kept')
  t.equal(statSync(path.join(staged.dir, 'sub')).mtimeMs, 1_111_111_000, 'directory mtime kept')
  if (xattr.exitCode === 0) {
    const listed = await execa('python3', ['-c', 'import os,sys; print(os.listxattr(sys.argv[1]))', path.join(staged.dir, 'data')])
    t.equal(listed.stdout, '[]', 'user.* xattr not carried over')
    t.equal(await contextIsCanonical(staged.dir), true, 'the stage itself is canonical')
    t.equal(await contextIsCanonical(context), false, 'the source is not')
    chmodSync(path.join(context, 'tool'), 0o755)
    chmodSync(path.join(context, 'sub'), 0o755)
    t.equal(await contextIsCanonical(context), false, 'canonical modes but a user.* xattr')
  }
})

t.test(
  'a FIFO is staged as a FIFO and a socket as an empty file, as BuildKit sends them; a device is skipped with a warning',
  async (t) => {
    const context = path.join(root, 'special')
    writeTree(context, {file: 'f'})
    await sh('mkfifo -m 600 pipe && mkdir run', {cwd: context})
    const server = net.createServer().listen(path.join(context, 'run', 'app.sock'))
    await new Promise((resolve) => server.once('listening', resolve))
    t.teardown(() => server.close())
    const device =
      process.getuid?.() === 0 && (await execa('mknod', [path.join(context, 'null'), 'c', '1', '3'], {reject: false})).exitCode === 0
    const warnings: string[] = []
    const staged = await stageContext({context, out: path.join(root, 'special-stage'), onWarning: (message) => warnings.push(message)})
    t.same(staged.skipped, device ? ['null'] : [])
    t.equal(warnings.length, device ? 1 : 0)
    if (device) t.match(warnings[0], /null/)
    t.same(
      listTree(staged.dir).map(({path, type, mode, size}) => ({path, type, mode, ...(size === undefined ? {} : {size})})),
      [
        {path: 'file', type: 'file', mode: '644', size: 1},
        {path: 'pipe', type: 'other', mode: '644'},
        {path: 'run', type: 'dir', mode: '755'},
        {path: 'run/app.sock', type: 'file', mode: '755', size: 0},
      ],
    )
    t.ok(lstatSync(path.join(staged.dir, 'pipe')).isFIFO(), 'the FIFO is a FIFO')
    const again = await stageContext({context, out: path.join(root, 'special-stage')})
    t.equal(again.changed, 0, 'and a second stage finds them in place')
  },
)

t.test('an unreadable file is an IO error naming it, and leaves the stage whole', async (t) => {
  // root reads mode-000 files anyway, so the child drops the capabilities that let it
  const setpriv = await execa('setpriv', ['--version'], {reject: false})
  if (setpriv.exitCode !== 0) return t.plan(0, 'setpriv (util-linux) is needed to make a file unreadable as root')
  const context = path.join(root, 'unreadable')
  const files: Record<string, string> = {}
  for (let i = 0; i < 50; i++) files[`ok/${i}`] = `${i}`
  writeTree(context, {...files, 'secret/key': 'k'})
  const out = path.join(root, 'unreadable-stage')
  await stageContext({context, out}) // a complete earlier stage
  writeFileSync(path.join(context, 'ok/0'), 'changed since')
  writeFileSync(path.join(context, 'secret/key'), 'rotated key')
  chmodSync(path.join(context, 'secret/key'), 0o000)
  t.teardown(() => chmodSync(path.join(context, 'secret/key'), 0o644))
  const dropped = ['setpriv', '--bounding-set=-dac_override,-dac_read_search', '--inh-caps=-dac_override,-dac_read_search']
  const run = await stageInChild({context, out}, process.getuid?.() === 0 ? dropped : [])
  t.equal(run.exitCode, ExitCode.IO, run.stderr)
  t.match(run.output.error, `${path.join(context, 'secret/key')}: cannot read (EACCES)`)
  // a build may still be reading the stage: it is left holding whole files, old or new, never a part of one
  t.equal(readFileSync(path.join(out, 'secret/key'), 'utf8'), 'k', 'the unreadable file keeps its last staged version')
  t.match(readFileSync(path.join(out, 'ok/0'), 'utf8'), /^(0|changed since)$/)
  t.same(
    readdirSync(root).filter((name) => name.startsWith('.unreadable-stage.') && /\.(scratch|tmp|lock)$/.test(name)),
    [],
    'no scratch, temp or lock file left beside it',
  )
  chmodSync(path.join(context, 'secret/key'), 0o644)
  await stageContext({context, out})
  t.same(listTree(out, {modes: false}), listTree(context, {modes: false}), 'the next stage completes it')
})

t.test('missing inputs and unsafe --out', async (t) => {
  await t.rejects(stageContext({context: path.join(root, 'nope')}), {exit: ExitCode.NO_INPUT, message: /nope: build context not found/})
  const context = path.join(root, 'inputs')
  writeTree(context, {f: 'x'})
  await t.rejects(stageContext({context, dockerfile: path.join(context, 'Missing.Dockerfile')}), {
    exit: ExitCode.NO_INPUT,
    message: /Missing\.Dockerfile: Dockerfile not found/,
  })
  const busy = path.join(root, 'busy-out')
  writeTree(busy, {precious: 'keep me'})
  await t.rejects(stageContext({context, out: busy}), {exit: ExitCode.CANT_CREATE, message: /--out exists, is not empty/})
  t.ok(existsSync(path.join(busy, 'precious')), 'a foreign directory is never synced over')
  await t.rejects(stageContext({context, out: path.join(context, 'stage')}), {
    exit: ExitCode.CANT_CREATE,
    message: /cannot be inside the context/,
  })
})

t.test('two concurrent stages of one context do not corrupt each other', async (t) => {
  const context = path.join(root, 'concurrent')
  const files: Record<string, string> = {}
  for (let i = 0; i < 400; i++) files[`d${i % 20}/f${i}`] = `${i}\n`.repeat(200)
  writeTree(context, files)
  const env = {DBUILD_CACHE_DIR: path.join(root, 'concurrent-cache')}
  process.env.DBUILD_CACHE_DIR = env.DBUILD_CACHE_DIR
  t.teardown(() => delete process.env.DBUILD_CACHE_DIR)
  const [first, second] = await Promise.all([stageInChild({context}), stageInChild({context})])
  t.equal(first.exitCode, 0, first.stderr)
  t.equal(second.exitCode, 0, second.stderr)
  t.equal(first.output.dir, second.output.dir, 'one stable directory per context')
  t.equal(first.output.dir, path.join(stageRootFor(context, undefined, env), 'context'))
  t.same(
    [first.output.changed, second.output.changed].sort((x, y) => (x as number) - (y as number)),
    [0, 420],
    'one wrote everything, the other found it done',
  )
  t.same(listTree(first.output.dir as string, {modes: false}), listTree(context, {modes: false}))
  t.same(readdirSync(path.dirname(first.output.dir as string)), ['context'], 'no lock or temp files left')
})

t.test('incremental sync: only the changed file is written, removed files are removed', async (t) => {
  const context = path.join(root, 'sync')
  const files: Record<string, string> = {}
  for (let i = 0; i < 200; i++) files[`dir${i % 10}/file${i}.txt`] = `content ${i}\n`
  writeTree(context, files)
  const out = path.join(root, 'sync-stage')
  const cold = await stageContext({context, out})
  t.equal(cold.changed, 210, '200 files and 10 directories written')
  const before = new Map(listTree(out).map((entry) => [entry.path, lstatSync(path.join(out, entry.path))]))

  const warm = await stageContext({context, out})
  t.match(warm, {changed: 0, removed: 0, files: 200})

  writeFileSync(path.join(context, 'dir3/file3.txt'), 'edited\n')
  rmSync(path.join(context, 'dir4/file4.txt'))
  rmSync(path.join(context, 'dir5'), {recursive: true})
  const sync = await stageContext({context, out})
  t.match(sync, {changed: 1, removed: 22, files: 179})
  t.same(listTree(out, {modes: false}), listTree(context, {modes: false}), 'the stage equals the context')
  for (const [rel, stats] of before) {
    if (rel === 'dir3/file3.txt' || rel.startsWith('dir5') || rel === 'dir4/file4.txt' || !stats.isFile()) continue
    const now = lstatSync(path.join(out, rel))
    if (now.ctimeMs !== stats.ctimeMs || now.ino !== stats.ino) t.fail(`${rel} was rewritten`)
  }
  t.not(lstatSync(path.join(out, 'dir3/file3.txt')).ctimeMs, before.get('dir3/file3.txt')?.ctimeMs, 'the changed file was written')
  const mtimeDrift = statSync(path.join(out, 'dir4')).mtimeMs - statSync(path.join(context, 'dir4')).mtimeMs
  t.ok(
    Math.abs(mtimeDrift) < 0.002,
    `a directory that lost a file keeps the source mtime (utimes keeps about a microsecond): ${mtimeDrift}`,
  )

  chmodSync(path.join(context, 'dir6/file6.txt'), 0o775)
  t.match(await stageContext({context, out}), {changed: 1}, 'an owner-exec change alone re-modes the file')
  t.equal(statSync(path.join(out, 'dir6/file6.txt')).mode & 0o7777, 0o755)
})

t.test('stageRootFor: stable, per context and ignore file, under the cache directory', async (t) => {
  const context = path.join(root, 'roots')
  writeTree(context, {Dockerfile: 'FROM scratch\n', 'other.Dockerfile': '', 'other.Dockerfile.dockerignore': 'x\n'})
  const a = stageRootFor(context, undefined, {DBUILD_CACHE_DIR: '/c'})
  t.match(a, /^\/c\/stage\/[0-9a-f]{20}$/)
  t.equal(stageRootFor(context, path.join(context, 'Dockerfile'), {DBUILD_CACHE_DIR: '/c'}), a, 'same ignore file, same root')
  t.not(
    stageRootFor(context, path.join(context, 'other.Dockerfile'), {DBUILD_CACHE_DIR: '/c'}),
    a,
    'a Dockerfile-specific ignore file gets its own stage',
  )
  t.match(stageRootFor(context, undefined, {XDG_CACHE_HOME: '/x', HOME: '/h'}), /^\/x\/dbuild\/stage\//)
  t.match(stageRootFor(context, undefined, {HOME: '/h'}), /^\/h\/\.cache\/dbuild\/stage\//)
  mkdirSync(path.join(root, 'roots-link-parent'))
  symlinkSync(context, path.join(root, 'roots-link-parent', 'ctx'))
  t.equal(stageRootFor(path.join(root, 'roots-link-parent', 'ctx'), undefined, {DBUILD_CACHE_DIR: '/c'}), a, 'keyed by the real path')
})
