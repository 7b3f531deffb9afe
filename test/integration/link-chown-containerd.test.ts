/**
 * link-chown's problem as it is: `COPY --link --chown=<name>` fails with
 * "invalid user index: -1" on the containerd image store and builds on the graphdriver store.
 */
import t from 'tap'

import {useEngine} from '../engine/index.js'
import {dockerOn, tempDir, writeTree} from '../helpers/index.js'

const engine = useEngine(t)

if (engine) {
  const context = tempDir(t)
  writeTree(context, {
    foo: 'hi\n',
    Dockerfile: `FROM ${engine.baseImage}\nCOPY --link --chown=app:app foo /home/app/x\nRUN stat -c "owner=%u:%g" /home/app/x\n`,
  })
  const build = ['buildx', 'build', '--network=host', '--progress=plain', '--no-cache', context]

  t.test('containerd image store: invalid user index: -1', async (t) => {
    const run = await dockerOn(engine.containerd, build)
    t.not(run.exitCode, 0, 'the build fails', {output: run.output})
    t.match(run.output, /invalid user index: -1/)
  })

  t.test('graphdriver store: builds, owned by app (1000:1000)', async (t) => {
    const run = await dockerOn(engine.graphdriver, build)
    t.equal(run.exitCode, 0, 'the build succeeds', {output: run.output})
    t.match(run.output, /owner=1000:1000/)
  })

  t.test('numeric ids build on the containerd image store', async (t) => {
    const numeric = tempDir(t)
    writeTree(numeric, {
      foo: 'hi\n',
      Dockerfile: `FROM ${engine.baseImage}\nCOPY --link --chown=1000:1000 foo /home/app/x\nRUN stat -c "owner=%u:%g" /home/app/x\n`,
    })
    const run = await dockerOn(engine.containerd, ['buildx', 'build', '--network=host', '--progress=plain', '--no-cache', numeric])
    t.equal(run.exitCode, 0, 'the build succeeds', {output: run.output})
    t.match(run.output, /owner=1000:1000/)
  })
}
