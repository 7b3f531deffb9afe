/**
 * The rules through `dbuild build` itself, on the engine where the originals fail: the containerd
 * image store (link-chown) and a frontend without --exclude (exclude-root). The user's Dockerfile is
 * never changed.
 */
import {readFileSync} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'
import t from 'tap'

import {ROOT, useEngine} from '../engine/index.js'
import {dockerOn, gitRepo, tempDir} from '../helpers/index.js'

const BIN = path.join(ROOT, 'bin', 'run.js')
const engine = useEngine(t)

if (engine) {
  const root = tempDir(t)
  const env: NodeJS.ProcessEnv = {...engine.containerd.env, DBUILD_CACHE_DIR: path.join(root, 'cache'), NO_COLOR: '1'}
  delete env.CI
  const dbuild = (cwd: string, args: string[]) => execa(process.execPath, [BIN, ...args], {cwd, env, reject: false, all: true})

  t.test('link-chown: COPY --link --chown=<name> builds through dbuild on the containerd store', async (t) => {
    const dockerfile = [
      `FROM ${engine.baseImage}`,
      'ARG OWNER=app',
      'COPY --link --chown=app foo /home/app/a',
      'COPY --link --chown=${OWNER}:users foo /home/app/b',
      'RUN stat -c "a=%u:%g" /home/app/a && stat -c "b=%u:%g" /home/app/b',
      '',
    ].join('\n')
    const dir = await gitRepo(path.join(root, 'link-chown'), {Dockerfile: dockerfile, foo: 'hi\n'})
    const plain = await dockerOn(engine.containerd, ['buildx', 'build', '--network=host', '--progress=plain', '--no-cache', dir])
    t.match(plain.output, /invalid user index: -1/, 'plain buildx fails with invalid user index: -1')

    const ours = await dbuild(dir, ['build', '--network=host', '--progress=plain', '--no-cache', '.'])
    t.equal(ours.exitCode, 0, 'dbuild build succeeds', {output: ours.all})
    t.match(ours.all, /a=1000:1000/, 'a name alone takes the primary group')
    t.match(ours.all, /b=1000:100/, 'name:group from an ARG resolves both')
    t.equal(readFileSync(path.join(dir, 'Dockerfile'), 'utf8'), dockerfile, "the user's Dockerfile is unchanged")
  })

  t.test('exclude-root: COPY --from=stage --exclude=… / / builds through dbuild', async (t) => {
    const dockerfile = [
      `FROM ${engine.baseImage} AS base`,
      'RUN mkdir -p /opt/big /usr && touch /opt/big/blob && ln -s /nonexistent /usr/dangling',
      'FROM scratch AS final',
      'COPY --from=base --exclude=/opt / /',
      'COPY --from=base /opt /opt',
      '',
    ].join('\n')
    const dir = await gitRepo(path.join(root, 'exclude'), {Dockerfile: dockerfile})
    const out = path.join(root, 'exclude-out')
    const ours = await dbuild(dir, ['build', '--network=host', '--progress=plain', '--output', `type=local,dest=${out}`, '.'])
    t.equal(ours.exitCode, 0, 'dbuild build succeeds', {output: ours.all})
    const listing = await execa('sh', ['-c', `cd ${JSON.stringify(out)} && ls -la usr/dangling opt/big/blob bin/sh`], {
      reject: false,
      all: true,
    })
    t.equal(listing.exitCode, 0, 'the tree is there', {output: listing.all})
    t.match(listing.all, /usr\/dangling -> \/nonexistent/, 'the broken symlink is kept')
  })
}
