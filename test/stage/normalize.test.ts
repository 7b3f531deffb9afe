/** normalizeWorkTree on a real git clone made under umask 002 with stray modes. */
import {chmodSync, lstatSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import t from 'tap'

import {ExitCode} from '../../src/exit-codes.js'
import {normalizeWorkTree} from '../../src/stage/normalize.js'
import {cloneUnderUmask, gitEnv, gitRepo, sh, tempDir} from '../helpers/index.js'

const root = tempDir(t, 'dbuild-normalize-')

const mode = (file: string): number => lstatSync(file).mode & 0o7777

t.test('tracked files and their directories get the modes from the index', async (t) => {
  const source = await gitRepo(
    path.join(root, 'source'),
    {'a.txt': 'a', 'bin/run.sh': '#!/bin/sh\n', 'src/deep/x.c': 'x', 'docs/d.md': 'd'},
    ['bin/run.sh'],
  )
  symlinkSync('a.txt', path.join(source, 'link'))
  await sh('git add link && git commit -qm link', {cwd: source, env: gitEnv()})
  const clone = await cloneUnderUmask(source, path.join(root, 'clone'), '002')
  chmodSync(path.join(clone, 'a.txt'), 0o600)
  chmodSync(path.join(clone, 'docs/d.md'), 0o777) // owner-exec on a 100644 file: git's mode wins
  chmodSync(path.join(clone, 'bin/run.sh'), 0o4775)
  chmodSync(path.join(clone, 'src/deep'), 0o2775)
  writeFileSync(path.join(clone, 'untracked.txt'), 'u', {mode: 0o666})
  chmodSync(path.join(clone, 'untracked.txt'), 0o666)

  const result = await normalizeWorkTree(clone)
  t.equal(result.files, 4, 'four tracked regular files')
  t.same(
    {
      a: mode(path.join(clone, 'a.txt')),
      md: mode(path.join(clone, 'docs/d.md')),
      sh: mode(path.join(clone, 'bin/run.sh')),
      c: mode(path.join(clone, 'src/deep/x.c')),
    },
    {a: 0o644, md: 0o644, sh: 0o755, c: 0o644},
  )
  for (const dir of ['', 'bin', 'src', 'src/deep', 'docs'])
    t.equal(mode(path.join(clone, dir)), 0o755, `${dir || '.'} is 0755 (setgid cleared)`)
  t.equal(mode(path.join(clone, 'untracked.txt')), 0o666, 'untracked files are left alone')
  t.ok(lstatSync(path.join(clone, 'link')).isSymbolicLink(), 'symlinks are left alone')
  t.equal(result.changed, 9, '4 files and 5 directories (umask 002 made them 775) changed')
  t.same(await normalizeWorkTree(clone), {files: 4, changed: 0}, 'a second run changes nothing')
})

t.test('paths limits it to those files', async (t) => {
  const repo = await gitRepo(path.join(root, 'limited'), {'one.txt': '1', 'two.txt': '2', 'sub/three.txt': '3'})
  for (const file of ['one.txt', 'two.txt', 'sub/three.txt']) chmodSync(path.join(repo, file), 0o664)
  const result = await normalizeWorkTree(repo, {paths: ['one.txt', 'sub']})
  t.equal(result.files, 2)
  t.equal(mode(path.join(repo, 'one.txt')), 0o644)
  t.equal(mode(path.join(repo, 'sub/three.txt')), 0o644)
  t.equal(mode(path.join(repo, 'two.txt')), 0o664, 'not listed: untouched')
})

t.test('outside a git work tree, or a missing path', async (t) => {
  const plain = tempDir(t)
  await t.rejects(normalizeWorkTree(plain), {exit: ExitCode.INPUT, message: /not a git work tree/})
  await t.rejects(normalizeWorkTree(path.join(plain, 'missing')), {exit: ExitCode.NO_INPUT, message: /missing: no such directory/})
  t.equal(statSync(plain).isDirectory(), true)
})

t.test("normalize refreshes git's index, so a later reset --hard under umask 002 leaves the modes alone", async (t) => {
  const source = await gitRepo(path.join(root, 'refresh-source'), {'a.txt': 'a', 'dir/b.txt': 'b', 'run.sh': '#!/bin/sh\n'}, ['run.sh'])
  const clone = await cloneUnderUmask(source, path.join(root, 'refresh-clone'), '002')
  t.equal(mode(path.join(clone, 'a.txt')), 0o664, 'the clone starts group-writable')
  // git compares ctime in whole seconds: the chmod must come in a later second than the clone's writes
  await new Promise((resolve) => setTimeout(resolve, 1100))
  await normalizeWorkTree(clone)
  // no git status in between: only the refresh tells git that the chmod-ed files are unchanged
  await sh('umask 002 && git reset -q --hard', {cwd: clone, env: gitEnv()})
  t.same(
    [mode(path.join(clone, 'a.txt')), mode(path.join(clone, 'dir/b.txt')), mode(path.join(clone, 'run.sh'))],
    [0o644, 0o644, 0o755],
    'reset --hard rewrote nothing',
  )
})

t.test("a name that is not UTF-8 (byte 0xff) is read from git's index byte for byte and normalized", async (t) => {
  const source = path.join(root, 'bytes-source')
  const name = Buffer.concat([Buffer.from('b'), Buffer.of(0xff), Buffer.from('.txt')])
  const dir = Buffer.concat([Buffer.from('d'), Buffer.of(0xfe)])
  await gitRepo(source, {'plain.txt': 'p'})
  writeFileSync(Buffer.concat([Buffer.from(`${source}/`), name]), 'bytes\n')
  mkdirSync(Buffer.concat([Buffer.from(`${source}/`), dir]))
  writeFileSync(Buffer.concat([Buffer.from(`${source}/`), dir, Buffer.from('/x.sh')]), '#!/bin/sh\n', {mode: 0o755})
  await sh('git add -A && git commit -qm bytes', {cwd: source, env: gitEnv()})
  const clone = await cloneUnderUmask(source, path.join(root, 'bytes-clone'), '002')
  const at = (...parts: Buffer[]): Buffer => Buffer.concat([Buffer.from(`${clone}/`), ...parts])
  const byteMode = (file: Buffer): number => lstatSync(file).mode & 0o7777
  t.same(
    [byteMode(at(name)), byteMode(at(dir)), byteMode(at(dir, Buffer.from('/x.sh')))],
    [0o664, 0o775, 0o775],
    'git wrote them under umask 002',
  )

  const result = await normalizeWorkTree(clone)
  t.equal(result.files, 3, 'all three tracked files, the 0xff one included')
  t.same(
    [byteMode(at(name)), byteMode(at(dir)), byteMode(at(dir, Buffer.from('/x.sh')))],
    [0o644, 0o755, 0o755],
    'the 0xff file, the 0xfe directory and the executable in it',
  )
  t.equal(
    readdirSync(clone, {encoding: 'buffer'}).filter((n) => n.includes(0xff) || n.includes(0xfe)).length,
    2,
    'no second file under a mangled name',
  )
  t.same(await normalizeWorkTree(clone), {files: 3, changed: 0}, 'a second run changes nothing')
  const status = await sh('git status --porcelain', {cwd: clone, env: gitEnv()})
  t.equal(status, '', 'git sees nothing changed')
})
