/**
 * The stage holds exactly what BuildKit sends: each .dockerignore case and a tree of symlinks is
 * built with `FROM scratch` + `COPY . /` + `--output type=local` on the real engine, and the
 * exported tree is compared with dbuild's stage of the same context.
 */
import {mkdirSync, symlinkSync} from 'node:fs'
import path from 'node:path'

import t from 'tap'

import {stageContext} from '../../src/stage/index.js'
import {useEngine} from '../engine/index.js'
import {dockerOn, tempDir, writeTree} from '../helpers/index.js'
import {IGNORE_CASES, makeCaseContext} from '../stage/ignore-cases.js'
import {listTree} from '../stage/listing.js'

const engine = useEngine(t)

if (engine) {
  const root = tempDir(t, 'dbuild-stage-ignore-')

  const buildkitExport = async (context: string, dockerfile: string, dest: string): Promise<void> => {
    const run = await dockerOn(engine.graphdriver, [
      'buildx',
      'build',
      '--network=host',
      '--progress=plain',
      '-f',
      dockerfile,
      '--output',
      `type=local,dest=${dest}`,
      context,
    ])
    if (run.exitCode !== 0) throw new Error(`buildx failed:\n${run.output}`)
  }

  for (const [index, testCase] of IGNORE_CASES.entries()) {
    t.test(testCase.name, async (t) => {
      const context = path.join(root, `case${index}`, 'context')
      mkdirSync(context, {recursive: true})
      const dockerfile = makeCaseContext(context, testCase)
      const exported = path.join(root, `case${index}`, 'buildkit')
      await buildkitExport(context, dockerfile, exported)
      const staged = await stageContext({context, dockerfile, out: path.join(root, `case${index}`, 'stage')})
      const theirs = listTree(exported, {modes: false})
      t.same(listTree(staged.dir, {modes: false}), theirs, 'the stage has exactly the paths, types and contents BuildKit sent')
      t.same(
        theirs.map((entry) => entry.path),
        testCase.expected,
        'BuildKit still sends what ignore-cases.ts recorded',
      )
    })
  }

  t.test('symlinks are sent as links, never followed, broken or pointing outside', async (t) => {
    const context = path.join(root, 'links', 'context')
    writeTree(context, {Dockerfile: 'FROM scratch\nCOPY . /\n', 'dir/file': 'x\n', '.dockerignore': 'ignored\n', 'ignored/f': 'secret\n'})
    symlinkSync('dir/file', path.join(context, 'inside'))
    symlinkSync('dir', path.join(context, 'to-dir'))
    symlinkSync('/etc/hostname', path.join(context, 'outside'))
    symlinkSync('../../nowhere', path.join(context, 'dir', 'broken'))
    symlinkSync('ignored/f', path.join(context, 'into-ignored'))
    const exported = path.join(root, 'links', 'buildkit')
    await buildkitExport(context, path.join(context, 'Dockerfile'), exported)
    const staged = await stageContext({context, out: path.join(root, 'links', 'stage')})
    t.same(listTree(staged.dir, {modes: false}), listTree(exported, {modes: false}))
  })
}
