/** prepareContext: one walk decides "canonical" (the stage is left alone) or syncs the stage with the same entries. */
import {chmodSync, existsSync, lstatSync, readdirSync, realpathSync, statSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'
import t from 'tap'

import {contextIsCanonical, prepareContext, stageContext, stageRootFor} from '../../src/stage/index.js'
import {tempDir, writeTree} from '../helpers/index.js'
import {listTree} from './listing.js'

const root = tempDir(t, 'dbuild-prepare-')
process.env.DBUILD_CACHE_DIR = path.join(root, 'cache')

const FILES = {
  Dockerfile: 'FROM scratch\nCOPY . /\n',
  '.dockerignore': 'secret\n',
  'src/hello.txt': 'hello\n',
  'src/run.sh': '#!/bin/sh\necho run\n',
  'src/deep/data.bin': 'x'.repeat(5000),
}

/** `files` written with canonical modes everywhere (0755 directories, 0644 files, run.sh 0755). */
function canonicalContext(name: string): string {
  const dir = path.join(root, name)
  writeTree(dir, FILES)
  const fix = (abs: string): void => {
    if (statSync(abs).isDirectory()) {
      chmodSync(abs, 0o755)
      for (const child of readdirSync(abs)) fix(path.join(abs, child))
    } else chmodSync(abs, abs.endsWith('.sh') ? 0o755 : 0o644)
  }
  fix(dir)
  return dir
}

t.test('a canonical context is reported as such and no stage is written', async (t) => {
  const context = canonicalContext('canonical')
  t.equal(await contextIsCanonical(context), true, 'contextIsCanonical agrees')
  const prepared = await prepareContext({context, dockerfile: path.join(context, 'Dockerfile')})
  t.same(prepared, {canonical: true, context: realpathSync(context), root: stageRootFor(context, path.join(context, 'Dockerfile'))})
  t.notOk(existsSync(path.join(stageRootFor(context), 'context')), 'nothing staged')
})

t.test('an excluded path with odd modes does not make a context non-canonical', async (t) => {
  const context = canonicalContext('ignored-odd')
  writeFileSync(path.join(context, 'secret'), 'x', {mode: 0o600})
  chmodSync(path.join(context, 'secret'), 0o600)
  t.equal((await prepareContext({context})).canonical, true)
})

t.test('a non-canonical context is staged exactly as stageContext stages it', async (t) => {
  const context = canonicalContext('odd')
  chmodSync(path.join(context, 'src/hello.txt'), 0o664)
  chmodSync(path.join(context, 'src/deep'), 0o2775)
  const prepared = await prepareContext({context})
  if (!('stage' in prepared)) return t.fail('staged expected')
  t.equal(prepared.stage.files, 5, 'Dockerfile, .dockerignore, hello.txt, run.sh, data.bin')
  const staged = await stageContext({context, out: path.join(root, 'odd-reference')})
  t.same(listTree(prepared.stage.dir), listTree(staged.dir), 'same tree, same modes as stageContext')
  t.equal(statSync(path.join(prepared.stage.dir, 'src/hello.txt')).mode & 0o7777, 0o644)
  t.equal(statSync(path.join(prepared.stage.dir, 'src/deep')).mode & 0o7777, 0o755)

  const again = await prepareContext({context})
  t.equal('stage' in again ? again.stage.changed : -1, 0, 'a second prepare writes nothing')

  // made canonical afterwards: the stage is left as it was, and staging later still works
  chmodSync(path.join(context, 'src/hello.txt'), 0o644)
  chmodSync(path.join(context, 'src/deep'), 0o755)
  t.equal((await prepareContext({context})).canonical, true, 'canonical now')
  chmodSync(path.join(context, 'src/hello.txt'), 0o666)
  writeFileSync(path.join(context, 'src/new.txt'), 'new\n')
  const restaged = await prepareContext({context})
  if (!('stage' in restaged)) return t.fail('staged expected')
  t.same(
    listTree(restaged.stage.dir).map((entry) => entry.path),
    listTree(context)
      .filter((entry) => entry.path !== 'secret')
      .map((entry) => entry.path),
    'the new file is staged',
  )
  t.equal(statSync(path.join(restaged.stage.dir, 'src/hello.txt')).mode & 0o7777, 0o644)
})

t.test('a FIFO counts like a file (BuildKit sends it itself); a user.* xattr makes a context non-canonical', async (t) => {
  const fifo = canonicalContext('fifo')
  await execa('mkfifo', ['-m', '644', path.join(fifo, 'pipe')])
  const warnings: string[] = []
  t.equal(
    (await prepareContext({context: fifo, onWarning: (message) => warnings.push(message)})).canonical,
    true,
    'a 0644 FIFO is canonical',
  )
  t.same(warnings, [])
  chmodSync(path.join(fifo, 'pipe'), 0o664)
  const staged = await prepareContext({context: fifo})
  if (!('stage' in staged)) return t.fail('a 0664 FIFO needs a stage')
  t.equal(lstatSync(path.join(staged.stage.dir, 'pipe')).mode & 0o7777, 0o644, 'and is staged as a 0644 FIFO')
  t.ok(lstatSync(path.join(staged.stage.dir, 'pipe')).isFIFO())

  const xattr = canonicalContext('xattr')
  const set = await execa(
    'python3',
    ['-c', 'import os,sys; os.setxattr(sys.argv[1], "user.origin", b"x")', path.join(xattr, 'src/hello.txt')],
    {reject: false},
  )
  if (set.exitCode !== 0) return t.comment('no user xattrs on this file system')
  t.equal((await prepareContext({context: xattr})).canonical, false)
})
