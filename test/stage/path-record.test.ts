/**
 * The stage's compact records (src/stage/path-record.ts): lookups in and out of write order, names
 * a line format could misread, and records of an older format ignored (rebuilt), never misread.
 */
import {readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import t from 'tap'

import {digestEntries} from '../../src/stage/digest.js'
import {stageContext, stageRootFor} from '../../src/stage/index.js'
import {parseRecordFile, PathRecordWriter} from '../../src/stage/path-record.js'
import {walkTree} from '../../src/stage/walk.js'
import {decodeBytes} from '../../src/surrogate-escape.js'
import {tempDir, writeTree} from '../helpers/index.js'
import {listTree} from './listing.js'

const root = tempDir(t, 'dbuild-path-record-')

/** A record of `paths` (fields: the path's index), as a file would hold it after `header`. */
function recordOf(paths: string[]) {
  const chunks: string[] = []
  const writer = new PathRecordWriter((chunk) => chunks.push(chunk))
  for (const [i, name] of paths.entries()) writer.add(name, `${i}\t${i * 2}`)
  writer.flush()
  const parsed = parseRecordFile(Buffer.from(`{"version":1}\n${chunks.join('')}`))
  if (!parsed) throw new Error('unparsed')
  return parsed
}

/** Names a line format could misread: separators, quotes, non-ASCII, bytes that are not UTF-8 (lone surrogates). */
const AWKWARD = [
  'a\tb',
  'line\nbreak',
  'quote"d',
  'back\\slash',
  'ünï/\u{1F600}',
  decodeBytes(Buffer.from('caf\xe9', 'latin1')),
  'x',
  'x\t1',
]

t.test('a record finds every path in the order it was written, and out of it', async (t) => {
  const paths = [...Array.from({length: 3000}, (_, i) => `d${i % 7}/f${i}`), ...AWKWARD]
  const inOrder = recordOf(paths)
  t.same(inOrder.header, {version: 1})
  t.equal(inOrder.record.size, paths.length)
  t.same(
    paths.map((name) => inOrder.record.fieldsOf(name)),
    paths.map((_, i) => `${i}\t${i * 2}`),
    'in write order',
  )
  const shuffled = recordOf(paths).record
  const order = paths.map((_, i) => (i * 7919) % paths.length)
  t.same(
    order.map((i) => shuffled.fieldsOf(paths[i] as string)),
    order.map((i) => `${i}\t${i * 2}`),
    'in any order',
  )
  const skipping = recordOf(paths).record
  t.equal(skipping.fieldsOf(paths[10] as string), '10\t20')
  t.equal(skipping.fieldsOf(paths[2000] as string), '2000\t4000', 'ahead of the cursor')
  t.equal(skipping.fieldsOf(paths[5] as string), '5\t10', 'behind it')
  for (const missing of ['d0', 'x\t', 'f1', 'd1/f1/', '', 'line'])
    t.equal(recordOf(paths).record.fieldsOf(missing), undefined, `no line for ${JSON.stringify(missing)}`)
})

t.test('a record of the older format (one JSON document) is not read at all', async (t) => {
  t.equal(parseRecordFile(Buffer.from('{"version":1,"hashes":{"a":[1,2,"x"]}}')), undefined)
  t.equal(parseRecordFile(Buffer.from('not json\n"a"\t1\n')), undefined)
})

/** Stages until the state and the content hashes beside the stage are settled, as after a few builds. */
async function settled(context: string) {
  for (let i = 0; i < 3; i++) {
    await stageContext({context, digest: true})
    await sleep(30) // past the coarse clock tick of the last write
  }
  return stageContext({context, digest: true})
}

t.test('a stage whose saved state and hashes are of the older format rebuilds them and stages the same', async (t) => {
  process.env.DBUILD_CACHE_DIR = path.join(root, 'cache')
  t.teardown(() => delete process.env.DBUILD_CACHE_DIR)
  const context = path.join(root, 'old-format')
  writeTree(context, {'a.txt': 'a\n', 'dir/b.txt': 'b\n', 'dir/c\twith tab': 'c\n'})
  const fresh = await settled(context)
  const state = `${stageRootFor(context)}.listings`
  const hashes = `${state}.hashes`
  t.match(readFileSync(state, 'utf8'), /^\{"version":4,/, 'the state: a header line, then the record')
  t.equal(readFileSync(hashes, 'utf8').split('\n').length, 5, 'the hashes: a header line and one line per file')

  // what the format before this one left: one JSON document each, vouching for an edit it never saw
  writeFileSync(path.join(context, 'a.txt'), 'A\n')
  const {size, mtimeMs} = statSync(path.join(context, 'a.txt'))
  writeFileSync(
    state,
    JSON.stringify({version: 2, context, dir: fresh.dir, source: {}, stage: {}, staged: {'a.txt': [size, mtimeMs, 0o644]}}),
  )
  writeFileSync(hashes, JSON.stringify({version: 1, context, hashes: {'a.txt': [size, mtimeMs, 'f'.repeat(64)]}}))
  rmSync(`${hashes}.digest`, {force: true})
  const after = await stageContext({context, digest: true})
  t.same(
    listTree(after.dir).filter((entry) => entry.type === 'file'),
    listTree(context)
      .filter((entry) => entry.type === 'file')
      .map((entry) => ({...entry, mode: '644'})),
  )
  t.equal(
    after.digest?.digest,
    digestEntries(context, walkTree(context)).digest,
    'the digest of what is there, no hash taken from the old record',
  )
  t.match(readFileSync(state, 'utf8'), /^\{"version":4,/, 'the state was rewritten in the current format')
})
