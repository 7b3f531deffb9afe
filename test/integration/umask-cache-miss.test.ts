/**
 * The umask problem as it is: the same commit checked out under umask 002 and 022 never
 * shares --cache-from hits, because BuildKit's COPY checksum includes permission bits.
 */
import {statSync} from 'node:fs'
import path from 'node:path'

import t from 'tap'

import {useEngine} from '../engine/index.js'
import {cloneUnderUmask, dockerOn, gitRepo, ranSteps, tempDir, uniqueName} from '../helpers/index.js'

const engine = useEngine(t)

if (engine) {
  const root = tempDir(t)
  const EXPENSIVE = 'RUN echo expensive step && sleep 1 && cat /app/src/hello.txt > /built'

  t.test('plain buildx misses the registry cache across umasks', async (t) => {
    const source = await gitRepo(
      path.join(root, 'source'),
      {
        Dockerfile: `FROM ${engine.baseImage}\nCOPY . /app\n${EXPENSIVE}\n`,
        '.dockerignore': '.git\n',
        'src/hello.txt': 'hello\n',
        'src/run.sh': '#!/bin/sh\necho run\n',
      },
      ['src/run.sh'],
    )
    const ci = await cloneUnderUmask(source, path.join(root, 'ci'), '002')
    const dev = await cloneUnderUmask(source, path.join(root, 'dev'), '022')
    const ciDev = await cloneUnderUmask(source, path.join(root, 'ci-twin'), '002')
    t.equal(statSync(path.join(ci, 'src/hello.txt')).mode & 0o777, 0o664, 'umask 002 checkout: 664')
    t.equal(statSync(path.join(dev, 'src/hello.txt')).mode & 0o777, 0o644, 'umask 022 checkout: 644')

    const ref = `${engine.registry}/${uniqueName('umask-miss')}:latest`
    const push = await dockerOn(engine.graphdriver, [
      'buildx',
      'build',
      '--network=host',
      '--progress=plain',
      '--push',
      '--cache-to',
      'type=inline',
      '-t',
      ref,
      ci,
    ])
    t.equal(push.exitCode, 0, 'CI build pushes with inline cache', {output: push.output})

    const fromCache = ['buildx', 'build', '--network=host', '--progress=plain', '--cache-from', `type=registry,ref=${ref}`]
    const prune = await dockerOn(engine.containerd, ['buildx', 'prune', '-af'])
    t.equal(prune.exitCode, 0, 'builder cache pruned', {output: prune.output})
    const miss = await dockerOn(engine.containerd, [...fromCache, dev])
    t.equal(miss.exitCode, 0, 'developer build succeeds', {output: miss.output})
    t.ok(
      ranSteps(miss.output).some((s) => s.includes('echo expensive step')),
      'umask 022 checkout: the expensive RUN runs again',
      {output: miss.output},
    )

    // Control: the same registry cache does hit for a checkout with the same modes.
    await dockerOn(engine.containerd, ['buildx', 'prune', '-af'])
    const hit = await dockerOn(engine.containerd, [...fromCache, ciDev])
    t.equal(hit.exitCode, 0, 'control build succeeds', {output: hit.output})
    t.notOk(
      ranSteps(hit.output).some((s) => s.includes('echo expensive step')),
      'umask 002 checkout: the expensive RUN comes from the registry cache',
      {output: hit.output},
    )
  })
}
