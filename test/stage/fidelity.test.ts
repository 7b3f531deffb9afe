/**
 * The stage holds what BuildKit is sent, exactly: every content change (also one that keeps size
 * and mtime), mtimes to the nanosecond, hard links as hard links, holes as holes.
 */
import {chmodSync, linkSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import t from 'tap'

import {stageContext} from '../../src/stage/index.js'
import {sh, tempDir, writeTree} from '../helpers/index.js'

const root = tempDir(t, 'dbuild-fidelity-')
process.env.DBUILD_CACHE_DIR = path.join(root, 'cache')
t.teardown(() => delete process.env.DBUILD_CACHE_DIR)

/** Stages until the stage's listings and record are remembered (a warm stage: the record vouches for unchanged files). */
async function settled(context: string) {
  for (let i = 0; i < 3; i++) {
    await stageContext({context, digest: true})
    await sleep(30) // past the coarse clock tick of the last write
  }
  return stageContext({context, digest: true})
}

const quote = JSON.stringify

/**
 * Content changes that keep the size and set the mtime back to what it was, each by the real
 * command a user's tools run; `file` holds 'old-content' before.
 */
const SAME_SIZE_AND_MTIME: {name: string; change: (file: string, mtime: string) => Promise<unknown>}[] = [
  {
    name: 'tar x of a release with the same mtime',
    change: async (file, mtime) => {
      const release = path.join(path.dirname(file), '..', 'release')
      mkdirSync(release, {recursive: true})
      writeFileSync(path.join(release, path.basename(file)), 'new-content')
      await sh(`touch -d ${quote(mtime)} ${quote(path.basename(file))} && tar -cf ../release.tar ${quote(path.basename(file))}`, {
        cwd: release,
      })
      await sh(`tar -xf ../release.tar`, {cwd: path.dirname(file)})
    },
  },
  {
    name: 'rsync -a into a cleaned tree (rsync itself skips a file of the same size and mtime)',
    change: async (file, mtime) => {
      const from = `${file}.rsync-source`
      writeFileSync(from, 'new-content')
      await sh(
        `touch -d ${quote(mtime)} ${quote(from)} && rm ${quote(file)} && rsync -a ${quote(from)} ${quote(file)} && rm ${quote(from)}`,
      )
    },
  },
  {
    name: 'cp -p (in place: the same inode)',
    change: async (file, mtime) => {
      const from = `${file}.cp-source`
      writeFileSync(from, 'new-content')
      await sh(`touch -d ${quote(mtime)} ${quote(from)} && cp -p ${quote(from)} ${quote(file)} && rm ${quote(from)}`)
    },
  },
  {
    name: "npm's 1985-10-26 mtime",
    change: async (file, mtime) => {
      writeFileSync(file, 'new-content')
      await sh(`touch -d ${quote(mtime)} ${quote(file)}`)
    },
  },
]

t.test('a content change that keeps size and mtime is staged, and changes the digest', async (t) => {
  for (const [i, {name, change}] of SAME_SIZE_AND_MTIME.entries()) {
    // npm installs every file at 1985-10-26T08:15:00Z; SOURCE_DATE_EPOCH builds set one fixed time
    const mtime = i % 2 === 0 ? '1985-10-26 08:15:00 UTC' : '@1700000000'
    const context = path.join(root, `same-stat-${i}`)
    writeTree(context, {Dockerfile: 'FROM scratch\nCOPY . /\n', 'pkg/index.js': 'old-content', 'pkg/other.js': 'o'})
    chmodSync(path.join(context, 'pkg/other.js'), 0o664) // not canonical: a build stages this context
    const file = path.join(context, 'pkg/index.js')
    await sh(`touch -d ${quote(mtime)} ${quote(file)}`)
    const before = await settled(context)
    t.equal(readFileSync(path.join(before.dir, 'pkg/index.js'), 'utf8'), 'old-content', `${name}: staged before`)
    const statBefore = lstatSync(file)
    await change(file, mtime)
    const statAfter = lstatSync(file)
    t.same([statAfter.size, statAfter.mtimeMs], [statBefore.size, statBefore.mtimeMs], `${name}: the same size and mtime`)
    const after = await stageContext({context, digest: true})
    t.equal(readFileSync(path.join(after.dir, 'pkg/index.js'), 'utf8'), 'new-content', `${name}: the new bytes are staged`)
    t.not(after.digest?.digest, before.digest?.digest, `${name}: the digest changed`)
    const dirTime = (dir: string) => lstatSync(path.join(dir, 'pkg'), {bigint: true}).mtimeNs
    t.equal(dirTime(after.dir), dirTime(context), `${name}: the directory keeps the context's mtime, though a file was renamed into it`)

    // an --out stage compares the same way
    const out = path.join(root, `same-stat-${i}-out`)
    writeFileSync(file, 'old-content')
    await sh(`touch -d ${quote(mtime)} ${quote(file)}`)
    await stageContext({context, out})
    await sleep(30)
    await stageContext({context, out})
    await change(file, mtime)
    await stageContext({context, out})
    t.equal(readFileSync(path.join(out, 'pkg/index.js'), 'utf8'), 'new-content', `${name}: --out stages the new bytes too`)
  }
})

t.test('a stage with no record compares content where size and mtime agree', async (t) => {
  const context = path.join(root, 'no-record')
  writeTree(context, {'a.txt': 'aaaa'})
  chmodSync(path.join(context, 'a.txt'), 0o664)
  const staged = await stageContext({context})
  // the record is gone (a sync killed half-way removes it), and the context changed meanwhile
  rmSync(`${path.dirname(staged.dir)}.listings`, {force: true})
  const before = lstatSync(path.join(context, 'a.txt'), {bigint: true})
  writeFileSync(path.join(context, 'a.txt'), 'bbbb')
  await sh(`touch -d @${before.mtimeNs / 1_000_000_000n}.${String(before.mtimeNs % 1_000_000_000n).padStart(9, '0')} a.txt`, {cwd: context})
  t.equal(lstatSync(path.join(context, 'a.txt'), {bigint: true}).mtimeNs, before.mtimeNs, 'the same mtime, to the nanosecond')
  const again = await stageContext({context})
  t.equal(readFileSync(path.join(again.dir, 'a.txt'), 'utf8'), 'bbbb')
  t.equal(again.changed, 1)
  t.equal((await stageContext({context})).changed, 0, 'and nothing the next time')
})

t.test('mtimes are staged to the nanosecond', async (t) => {
  const context = path.join(root, 'nanoseconds')
  writeTree(context, {'late.txt': 'l', 'whole.txt': 'w', 'dir/inner.txt': 'i', 'fifo-less.txt': 'f'})
  symlinkSync('late.txt', path.join(context, 'link'))
  chmodSync(path.join(context, 'late.txt'), 0o664)
  await sh(
    'touch -d @1700000007.999999999 late.txt && touch -h -d @1700000007.123456789 link && touch -d "1985-10-26 08:15:00 UTC" whole.txt',
    {cwd: context},
  )
  await sh('touch -d @1600000000.999999999 dir/inner.txt && touch -d @1600000001.000000001 dir', {cwd: context})
  const staged = await stageContext({context})
  for (const rel of ['late.txt', 'whole.txt', 'link', 'dir/inner.txt', 'dir']) {
    const source = lstatSync(path.join(context, rel), {bigint: true}).mtimeNs
    t.equal(lstatSync(path.join(staged.dir, rel), {bigint: true}).mtimeNs, source, `${rel}: ${source}`)
  }
  t.equal((await stageContext({context})).changed, 0, 'a second stage finds every time in place')
})

t.test('hard links are staged as hard links of the paths .dockerignore leaves in', async (t) => {
  const context = path.join(root, 'hard-links')
  writeTree(context, {'.dockerignore': 'excluded/\n', 'a/data.bin': 'x'.repeat(4096), 'single.txt': 's', 'excluded/keep': 'k'})
  chmodSync(path.join(context, 'single.txt'), 0o664)
  linkSync(path.join(context, 'a/data.bin'), path.join(context, 'b.bin'))
  mkdirSync(path.join(context, 'c'))
  linkSync(path.join(context, 'a/data.bin'), path.join(context, 'c/data.bin'))
  linkSync(path.join(context, 'a/data.bin'), path.join(context, 'excluded/data.bin'))
  const staged = await stageContext({context})
  const ino = (rel: string) => lstatSync(path.join(staged.dir, rel)).ino
  t.equal(ino('b.bin'), ino('a/data.bin'), 'b.bin is a link of a/data.bin')
  t.equal(ino('c/data.bin'), ino('a/data.bin'), 'so is c/data.bin')
  t.equal(lstatSync(path.join(staged.dir, 'a/data.bin')).nlink, 3, 'three links, the excluded one not among them')
  t.not(ino('single.txt'), ino('a/data.bin'))
  t.equal(lstatSync(path.join(staged.dir, 'a/data.bin')).mode & 0o7777, 0o644)
  t.equal((await stageContext({context})).changed, 0, 'a second stage finds the links in place')

  // the group's content changes in place: every link has the new bytes, still one inode
  writeFileSync(path.join(context, 'b.bin'), 'y'.repeat(4096))
  const changed = await stageContext({context})
  t.equal(readFileSync(path.join(changed.dir, 'c/data.bin'), 'utf8'), 'y'.repeat(4096))
  t.equal(ino('b.bin'), ino('a/data.bin'))
  t.equal(ino('c/data.bin'), ino('a/data.bin'))

  // a link broken in the context is broken in the stage
  writeFileSync(path.join(context, 'c/new.bin'), 'z'.repeat(4096))
  renameSync(path.join(context, 'c/new.bin'), path.join(context, 'c/data.bin'))
  const broken = await stageContext({context})
  t.equal(readFileSync(path.join(broken.dir, 'c/data.bin'), 'utf8'), 'z'.repeat(4096))
  t.not(ino('c/data.bin'), ino('a/data.bin'))
  t.equal(ino('b.bin'), ino('a/data.bin'))
  t.equal(lstatSync(path.join(staged.dir, 'a/data.bin')).nlink, 2)
})

t.test('a sparse file is staged with its holes', async (t) => {
  const context = path.join(root, 'sparse')
  writeTree(context, {'small.txt': 's'})
  chmodSync(path.join(context, 'small.txt'), 0o664)
  const file = path.join(context, 'disk.img')
  // 2 GB, of which one 4 KB block at 1 GB holds data
  await sh(`truncate -s 2G ${quote(file)} && printf 'data at 1G' | dd of=${quote(file)} bs=1 seek=1073741824 conv=notrunc status=none`)
  t.ok(lstatSync(file).blocks * 512 < 1 << 20, 'the source is sparse')
  const staged = await stageContext({context})
  const copy = lstatSync(path.join(staged.dir, 'disk.img'))
  t.equal(copy.size, 2 ** 31)
  t.ok(copy.blocks * 512 < 1 << 20, `the staged copy keeps its holes: ${copy.blocks} blocks of 512 bytes`)
  t.equal(await sh(`dd if=${quote(path.join(staged.dir, 'disk.img'))} bs=1 skip=1073741824 count=10 status=none`), 'data at 1G')
  t.equal((await stageContext({context})).changed, 0, 'a second stage copies nothing')
})
