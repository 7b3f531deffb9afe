/**
 * The umask problem (a checkout under umask 002 misses the cache of one under 022), solved end to end: CI (umask 002 checkout, graphdriver daemon) pushes an image with
 * inline cache through dbuild; a developer (umask 022 checkout, containerd daemon, builder cache
 * pruned) builds through dbuild with the registry ref in .dbuild.json, and the expensive RUN is
 * CACHED. Plain buildx in the same setup rebuilds it: the control.
 */
import path from 'node:path'

import {execa} from 'execa'
import t from 'tap'

import {type Daemon, ROOT, useEngine} from '../engine/index.js'
import {type BuildxRun, cachedSteps, cloneUnderUmask, dockerOn, gitRepo, ranSteps, tempDir, uniqueName} from '../helpers/index.js'

const BIN = path.join(ROOT, 'bin', 'run.js')
const engine = useEngine(t)

async function dbuildOn(daemon: Daemon, args: string[], cwd: string, cacheDir: string): Promise<BuildxRun> {
  const env: NodeJS.ProcessEnv = {...daemon.env, DBUILD_CACHE_DIR: cacheDir, NO_COLOR: '1'}
  delete env.CI
  const result = await execa(process.execPath, [BIN, ...args], {cwd, env, extendEnv: false, reject: false, all: true})
  return {exitCode: result.exitCode ?? 1, output: result.all ?? ''}
}

if (engine) {
  const root = tempDir(t)
  const tag = uniqueName('dbuild-umask-hit')
  const EXPENSIVE = `RUN echo expensive ${tag} && sleep 1 && cat /app/src/hello.txt > /built`

  t.test('the developer build is CACHED from the registry; plain buildx is not', async (t) => {
    const ref = `${engine.registry}/${tag}:latest`
    const source = await gitRepo(
      path.join(root, 'source'),
      {
        Dockerfile: `FROM ${engine.baseImage}\nCOPY . /app\n${EXPENSIVE}\n`,
        '.dockerignore': '.git\n',
        '.dbuild.json': JSON.stringify({cacheFrom: [`type=registry,ref=${ref}`]}),
        'src/hello.txt': 'hello\n',
        'src/run.sh': '#!/bin/sh\necho run\n',
      },
      ['src/run.sh'],
    )
    const ci = await cloneUnderUmask(source, path.join(root, 'ci'), '002')
    const dev = await cloneUnderUmask(source, path.join(root, 'dev'), '022')

    const push = await dbuildOn(
      engine.graphdriver,
      ['build', '--network=host', '--progress=plain', '--push', '--cache-to', 'type=inline', '-t', ref, '.'],
      ci,
      path.join(root, 'ci-cache'),
    )
    t.equal(push.exitCode, 0, 'CI: dbuild build --push --cache-to type=inline', {output: push.output})
    t.match(push.output, /context staged/, 'CI: the umask 002 checkout was staged')

    const prune = await dockerOn(engine.containerd, ['buildx', 'prune', '-af'])
    t.equal(prune.exitCode, 0, 'developer: builder cache pruned', {output: prune.output})
    const hit = await dbuildOn(engine.containerd, ['--network=host', '--progress=plain', '.'], dev, path.join(root, 'dev-cache'))
    t.equal(hit.exitCode, 0, 'developer: dbuild (bare form) succeeds', {output: hit.output})
    const expensive = (step: string) => step.includes(`echo expensive ${tag}`)
    t.match(hit.output, /importing cache manifest/, 'developer: the registry cache is imported')
    t.notOk(ranSteps(hit.output).some(expensive), 'developer: the expensive RUN is taken from the registry cache, not run', {
      output: hit.output,
      labelledCached: cachedSteps(hit.output).some(expensive),
    })

    // control: the same two steps with plain buildx; CI's umask 002 modes reach the cache and the developer misses
    const plainRef = `${engine.registry}/${tag}-plain:latest`
    const plainPush = await dockerOn(engine.graphdriver, [
      'buildx',
      'build',
      '--network=host',
      '--progress=plain',
      '--push',
      '--cache-to',
      'type=inline',
      '-t',
      plainRef,
      ci,
    ])
    t.equal(plainPush.exitCode, 0, 'control: plain buildx CI push', {output: plainPush.output})
    await dockerOn(engine.containerd, ['buildx', 'prune', '-af'])
    const miss = await dockerOn(engine.containerd, [
      'buildx',
      'build',
      '--network=host',
      '--progress=plain',
      '--cache-from',
      `type=registry,ref=${plainRef}`,
      dev,
    ])
    t.equal(miss.exitCode, 0, 'control: plain buildx developer build succeeds', {output: miss.output})
    t.ok(ranSteps(miss.output).some(expensive), 'control: plain buildx runs the expensive RUN again', {output: miss.output})
  })
}
