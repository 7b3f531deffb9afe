/**
 * Remembered directory listings (a warm stage skips readdir of directories that provably have not
 * changed): whatever changes in the context or in the stage between stages is still staged or repaired.
 */
import {lstatSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import t from 'tap'

import {stageContext} from '../../src/stage/index.js'
import {Listings} from '../../src/stage/walk.js'
import {tempDir, writeTree} from '../helpers/index.js'
import {listTree} from './listing.js'

const root = tempDir(t, 'dbuild-listings-')

function files(count: number, ignored = true): Record<string, string> {
  const tree: Record<string, string> = ignored ? {'.dockerignore': 'ignored\n', 'ignored/x': 'x\n'} : {}
  for (let i = 0; i < count; i++) tree[`d${i % 4}/sub/f${i}`] = `${i}\n`
  return tree
}

/** Stages until the listings of every directory are remembered: the context's, then the stage's own. */
async function settledStage(context: string, out: string) {
  await stageContext({context, out})
  await sleep(30) // past the coarse clock tick of the last write
  await stageContext({context, out})
  await sleep(30)
  const warm = await stageContext({context, out})
  const [header] = readFileSync(path.join(path.dirname(out), `.${path.basename(out)}.dbuild-listings`), 'utf8').split('\n')
  const saved = JSON.parse(header ?? '') as {source: object; stage: object}
  return {warm, saved}
}

t.test('listings are remembered beside the stage, never in it', async (t) => {
  const context = path.join(root, 'kept')
  writeTree(context, files(20))
  const out = path.join(root, 'kept-stage')
  const {warm, saved} = await settledStage(context, out)
  t.match(warm, {changed: 0, removed: 0, files: 21})
  t.same(
    Object.keys(saved.source).sort(),
    ['', 'd0', 'd0/sub', 'd1', 'd1/sub', 'd2', 'd2/sub', 'd3', 'd3/sub'],
    'every context directory but the pruned one',
  )
  t.same(Object.keys(saved.stage).sort(), ['', 'd0', 'd0/sub', 'd1', 'd1/sub', 'd2', 'd2/sub', 'd3', 'd3/sub'], 'every stage directory')
  t.notOk(readdirSync(out).some((name) => name.includes('listings')))
  t.same(
    readdirSync(root).sort(),
    ['.kept-stage.dbuild-listings', '.kept-stage.dbuild-stage', 'kept', 'kept-stage'],
    'no probe left behind',
  )
})

t.test('changes to the context after the listings were remembered are all staged', async (t) => {
  const context = path.join(root, 'context-changes')
  writeTree(context, files(20))
  const out = path.join(root, 'context-changes-stage')
  await settledStage(context, out)

  writeFileSync(path.join(context, 'd1/sub/new'), 'new\n')
  t.match(await stageContext({context, out}), {changed: 1, removed: 0}, 'an added file')
  renameSync(path.join(context, 'd2/sub/f2'), path.join(context, 'd2/sub/renamed'))
  t.match(await stageContext({context, out}), {changed: 1, removed: 1}, 'a renamed file')
  rmSync(path.join(context, 'd3'), {recursive: true})
  mkdirSync(path.join(context, 'd3'))
  symlinkSync('../d0', path.join(context, 'd3/link'))
  t.match(await stageContext({context, out}), {changed: 1, removed: 6}, 'a directory replaced, with a link in it')
  writeFileSync(path.join(context, 'ignored/y'), 'y\n')
  writeFileSync(path.join(context, '.dockerignore'), '')
  t.match(await stageContext({context, out}), {changed: 4}, 'a changed .dockerignore applies to remembered listings')
  t.same(listTree(out, {modes: false}), listTree(context, {modes: false}))

  // a change in the same clock tick as the listing it follows is still seen
  for (let i = 0; i < 5; i++) {
    await stageContext({context, out})
    writeFileSync(path.join(context, `d0/sub/quick${i}`), `${i}\n`)
    t.match(await stageContext({context, out}), {changed: 1}, `quick change ${i}`)
  }
  t.same(listTree(out, {modes: false}), listTree(context, {modes: false}))
})

t.test('a stage edited after the listings were remembered is repaired', async (t) => {
  const context = path.join(root, 'stage-edits')
  writeTree(context, files(20, false))
  const out = path.join(root, 'stage-edits-stage')
  await settledStage(context, out)

  writeFileSync(path.join(out, 'd1/sub/stray'), 'stray\n')
  mkdirSync(path.join(out, 'd2/stray-dir/deeper'), {recursive: true})
  rmSync(path.join(out, 'd3/sub/f3'))
  rmSync(path.join(out, 'd0/sub'), {recursive: true})
  symlinkSync('/', path.join(out, 'd0/sub'))
  t.match(await stageContext({context, out}), {removed: 4, changed: 7})
  t.same(listTree(out, {modes: false}), listTree(context, {modes: false}))

  for (let i = 0; i < 5; i++) {
    await stageContext({context, out})
    writeFileSync(path.join(out, `d1/quick${i}`), 'stray\n')
    t.match(await stageContext({context, out}), {removed: 1}, `a stray file added right after a stage ${i}`)
  }
  t.same(listTree(out, {modes: false}), listTree(context, {modes: false}))
})

/** Linux 6.13+ has multigrain timestamps: a ctime that was queried is never given again. */
function multigrainTimestamps(): boolean {
  const [major = 0, minor = 0] = os
    .release()
    .split('.')
    .map((part) => Number.parseInt(part, 10))
  return process.platform === 'linux' && (major > 6 || (major === 6 && minor >= 13))
}

t.test(
  "a listing read in the clock tick of its directory's last change is not remembered",
  {
    skip: multigrainTimestamps()
      ? `kernel ${os.release()} has multigrain timestamps (Linux 6.13+): two changes never share a queried ctime tick, so this case cannot arise here`
      : false,
  },
  async (t) => {
    // with a coarse file system clock these changes land in one tick most of the time
    const dir = path.join(root, 'ticks')
    let remembered = 0
    for (let i = 0; i < 50; i++) {
      rmSync(dir, {recursive: true, force: true})
      mkdirSync(dir)
      writeFileSync(path.join(dir, 'a'), '')
      const probeFile = path.join(root, 'probe')
      writeFileSync(probeFile, '')
      const first = new Listings({}, statSync(probeFile, {bigint: true}), false)
      t.same(first.list(dir, '', lstatSync(dir, {bigint: true})).names, ['a'])
      if (first.next[''] !== undefined) remembered++
      writeFileSync(path.join(dir, 'b'), '') // the same tick again, most of the time
      writeFileSync(probeFile, '')
      const second = new Listings(first.next, statSync(probeFile, {bigint: true}), false)
      const names = second.list(dir, '', lstatSync(dir, {bigint: true})).names
      if (names.length !== 2) t.fail(`round ${i}: the second file is missing from ${JSON.stringify(names)}`)
    }
    t.comment(`${remembered} of 50 listings were remembered`)
  },
)
