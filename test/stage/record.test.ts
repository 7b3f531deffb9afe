/**
 * The record of a cache stage (a stage only dbuild writes): files and links it vouches for are not
 * looked at again, yet every change to the context is staged, and a stage directory that gained or
 * lost entries is repaired. An --out stage is checked in full every time.
 */
import {chmodSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import t from 'tap'

import {stageContext, stageRootFor} from '../../src/stage/index.js'
import {syncTree} from '../../src/stage/sync.js'
import {walkTree} from '../../src/stage/walk.js'
import {tempDir, writeTree} from '../helpers/index.js'
import {type Listed, listTree} from './listing.js'

const root = tempDir(t, 'dbuild-record-')
process.env.DBUILD_CACHE_DIR = path.join(root, 'cache')
t.teardown(() => delete process.env.DBUILD_CACHE_DIR)

/** The context as the stage must hold it: the same paths and bytes, with canonical modes. */
function canonical(context: string): Listed[] {
  return listTree(context).map((entry) => {
    if (entry.type === 'dir') return {...entry, mode: '755'}
    if (entry.type === 'file') return {...entry, mode: Number.parseInt(entry.mode, 8) & 0o100 ? '755' : '644'}
    return entry
  })
}

/** A context checked out under umask 002: group-writable files and directories. */
function groupWritableContext(name: string): string {
  const context = path.join(root, name)
  const tree: Record<string, string> = {}
  for (let i = 0; i < 24; i++) tree[`d${i % 4}/sub/f${i}`] = `${i % 10}\n`
  writeTree(context, tree)
  for (const entry of listTree(context)) chmodSync(path.join(context, entry.path), entry.type === 'dir' ? 0o775 : 0o664)
  chmodSync(context, 0o775)
  symlinkSync('sub/f1', path.join(context, 'd1/link'))
  return context
}

/** The saved state: its header line, and the record's lines after it. */
function stateOf(context: string) {
  const [header, ...lines] = readFileSync(`${stageRootFor(context)}.listings`, 'utf8').split('\n')
  return {header: JSON.parse(header ?? '') as {staged: boolean}, lines: lines.filter((line) => line !== '')}
}

/** Stages until the stage's listings and record are remembered, as after a few builds. */
async function settled(context: string) {
  for (let i = 0; i < 3; i++) {
    await stageContext({context})
    await sleep(30) // past the coarse clock tick of the last write
  }
  return stageContext({context})
}

t.test('a cache stage keeps a record of what it holds, and every change to the context is still staged', async (t) => {
  const context = groupWritableContext('changes')
  const warm = await settled(context)
  t.match(warm, {changed: 0, removed: 0, files: 25})
  t.equal(stateOf(context).lines.length, 25, 'recorded: every file and link')
  t.same(listTree(warm.dir), canonical(context))

  const changes: Array<[string, () => void]> = [
    ['same size, new bytes', () => writeFileSync(path.join(context, 'd0/sub/f4'), 'X\n')],
    ['made executable', () => chmodSync(path.join(context, 'd1/sub/f5'), 0o775)],
    ['a new file', () => writeFileSync(path.join(context, 'd2/sub/new'), 'new\n')],
    ['a file removed', () => rmSync(path.join(context, 'd3/sub/f7'))],
    ['a link re-pointed', () => (rmSync(path.join(context, 'd1/link')), symlinkSync('sub/f9', path.join(context, 'd1/link')))],
    [
      'a file replaced by a directory',
      () => (
        rmSync(path.join(context, 'd2/sub/f10')),
        mkdirSync(path.join(context, 'd2/sub/f10')),
        writeFileSync(path.join(context, 'd2/sub/f10/in'), 'in\n')
      ),
    ],
    ['a directory removed', () => rmSync(path.join(context, 'd3'), {recursive: true})],
  ]
  for (const [what, change] of changes) {
    change()
    const staged = await stageContext({context})
    t.ok(staged.changed + staged.removed > 0, `${what}: written`)
    t.same(listTree(staged.dir), canonical(context), `${what}: the stage is the context again`)
    await sleep(30)
    await settled(context)
  }
  // a change right after a stage, in the same clock tick as the record it follows
  for (let i = 0; i < 5; i++) {
    await stageContext({context})
    writeFileSync(path.join(context, 'd0/sub/f0'), `${i}\n`)
    t.same(listTree((await stageContext({context})).dir), canonical(context), `quick change ${i}`)
  }
})

t.test('a cache stage whose directories gained or lost entries by hand is repaired', async (t) => {
  const context = groupWritableContext('stage-edits')
  const {dir} = await settled(context)
  writeFileSync(path.join(dir, 'd1/sub/stray'), 'stray\n')
  rmSync(path.join(dir, 'd2/sub/f2'))
  rmSync(path.join(dir, 'd3/sub/f3'))
  symlinkSync('/', path.join(dir, 'd3/sub/f3'))
  rmSync(path.join(dir, 'd0'), {recursive: true})
  await stageContext({context})
  t.same(listTree(dir), canonical(context))
})

t.test('syncTree calls beforeWrite while the stage is untouched, so a sync cut short leaves no record that vouches for it', async (t) => {
  const context = groupWritableContext('before-write')
  const stage = path.join(root, 'before-write-stage')
  const sources = walkTree(context, {readLinks: true})
  await syncTree(context, sources, stage)
  const before = listTree(stage)

  writeFileSync(path.join(context, 'd0/sub/f0'), 'changed\n')
  // a file entry the stage cannot take: its source is a directory by now
  mkdirSync(path.join(context, 'd0/sub/now-a-dir'))
  const odd = {...sources.find((entry) => entry.kind === 'file'), rel: 'd0/sub/now-a-dir'} as (typeof sources)[number]
  let seen: Listed[] | undefined
  await t.rejects(
    syncTree(context, [...walkTree(context, {readLinks: true}).filter((entry) => entry.rel !== odd.rel), odd], stage, {
      beforeWrite: () => (seen ??= listTree(stage)),
    }),
    {
      message: /d0\/sub\/now-a-dir: cannot/,
    },
  )
  rmSync(path.join(context, 'd0/sub/now-a-dir'), {recursive: true})
  t.same(seen, before, 'called once, before the first write')

  let calls = 0
  await syncTree(context, walkTree(context, {readLinks: true}), stage)
  await syncTree(context, walkTree(context, {readLinks: true}), stage, {beforeWrite: () => calls++})
  t.equal(calls, 0, 'not called when nothing is written')
  t.ok(existsSync(stage))
})

t.test('the record is what a warm cache stage goes by; an --out stage is checked in full', async (t) => {
  const context = groupWritableContext('in-place')
  const {dir} = await settled(context)
  writeFileSync(path.join(dir, 'd0/sub/f0'), 'edited by hand\n')
  await stageContext({context})
  t.equal(
    readFileSync(path.join(dir, 'd0/sub/f0'), 'utf8'),
    'edited by hand\n',
    'cache stage: a file its record vouches for is not looked at',
  )
  writeFileSync(path.join(context, 'd0/sub/f0'), 'new\n')
  await stageContext({context})
  t.equal(readFileSync(path.join(dir, 'd0/sub/f0'), 'utf8'), 'new\n', 'cache stage: staged again once the context changes it')

  const out = path.join(root, 'in-place-out')
  await stageContext({context, out})
  await sleep(30)
  await stageContext({context, out})
  writeFileSync(path.join(out, 'd1/sub/f1'), 'edited by hand\n')
  t.match(await stageContext({context, out}), {changed: 1}, '--out stage: the edited file is repaired')
  t.same(listTree(out), canonical(context))
})
