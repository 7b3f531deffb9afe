/**
 * A file that vanishes between the walk and the digest's read (an editor's save renames files in
 * and out) is left out of the digest as the sync leaves it out of the stage, never a failed build.
 */
import {rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import t from 'tap'

import {digestEntries} from '../../src/stage/digest.js'
import {walkTree} from '../../src/stage/walk.js'
import {tempDir} from '../helpers/index.js'

t.test('a file gone since the walk is left out of the digest', async (t) => {
  const dir = tempDir(t)
  writeFileSync(path.join(dir, 'kept'), 'kept\n')
  writeFileSync(path.join(dir, 'f1.saving'), 'half a save\n')
  const entries = walkTree(dir)
  rmSync(path.join(dir, 'f1.saving'))

  const digest = digestEntries(dir, entries)
  t.same(
    digest.entries.map((entry) => entry.path),
    ['kept'],
  )

  const after = digestEntries(dir, walkTree(dir))
  t.equal(digest.digest, after.digest, 'the same digest as a walk that never saw it')
})
