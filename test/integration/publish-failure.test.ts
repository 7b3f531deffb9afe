/**
 * Publishing the context manifest after a push is dbuild's addition, never a reason to fail a build
 * buildx completed: when the registry refuses it (read-only) or cannot be reached, `dbuild build`
 * and `dbuild bake` exit with buildx's status and say so in one warning. Plain buildx with the same
 * command line is the control. The cache goes to a registry with `ignore-error=true`, so buildx
 * completes whatever that registry does, and dbuild's publish to it is what fails.
 */
import path from 'node:path'

import {execa} from 'execa'
import t from 'tap'

import {ROOT, useEngine} from '../engine/index.js'
import {dockerOn, gitRepo, tempDir, uniqueName} from '../helpers/index.js'
import {freePort, startRegistry} from '../helpers/registry.js'

const BIN = path.join(ROOT, 'bin', 'run.js')
const engine = useEngine(t)

const warnings = (output: string) => output.split('\n').filter((line) => line.startsWith('dbuild: warning:'))

if (engine) {
  const root = tempDir(t, 'dbuild-publish-failure-')
  // cache export needs the containerd image store with the docker driver
  const daemon = engine.containerd
  const env: NodeJS.ProcessEnv = {...daemon.env, DBUILD_CACHE_DIR: path.join(root, 'cache'), NO_COLOR: '1'}
  delete env.CI
  const dbuild = (args: string[], cwd: string) =>
    execa(process.execPath, [BIN, ...args], {cwd, env, extendEnv: false, reject: false, all: true})
  const files = {
    Dockerfile: `FROM ${engine.localBaseImage}\nCOPY app.txt /app.txt\n`,
    'app.txt': `${uniqueName('publish')}\n`,
    'docker-bake.hcl': 'target "app" {}\n',
  }

  t.test('the registry refuses the manifest (read-only): buildx status, one warning', async (t) => {
    const dir = path.join(root, 'read-only')
    const port = await freePort()
    const cacheRef = `127.0.0.1:${port}/${uniqueName('cache')}:main`
    const repo = await gitRepo(path.join(root, 'repo-ro'), files)
    // the cache is there first, so the manifest has something to attach to; then the registry turns read-only
    const writable = await startRegistry(t, {dir, port})
    const filled = await dockerOn(daemon, ['buildx', 'build', '--progress=plain', '--cache-to', `type=registry,ref=${cacheRef}`, '.'], {
      cwd: repo,
    })
    await writable.stop()
    t.equal(filled.exitCode, 0, 'the cache was pushed', {output: filled.output})
    await startRegistry(t, {dir, port, readOnly: true})

    const image = `${engine.registry}/${uniqueName('dbuild-publish-ro')}:ci`
    const args = ['--progress=plain', '--push', '-t', image, '--cache-to', `type=registry,ref=${cacheRef},ignore-error=true`, '.']
    const plain = await dockerOn(daemon, ['buildx', 'build', ...args], {cwd: repo})
    t.equal(plain.exitCode, 0, 'the control: plain buildx completes, the cache export error ignored', {output: plain.output})
    const ours = await dbuild(['build', ...args], repo)
    t.equal(ours.exitCode, 0, "dbuild exits with buildx's status", {output: ours.all})
    const said = warnings(ours.all ?? '')
    t.equal(said.length, 1, 'one warning', {said})
    t.match(said[0], new RegExp(`not attached to ${cacheRef.replaceAll('.', '\\.')}`), 'naming the cache it was not attached to')
    t.match(ours.all, /context manifest attached to .*dbuild-publish-ro/, 'the image still got its manifest')

    const bakeArgs = [
      '--progress=plain',
      '--push',
      '--set',
      `app.tags=${image}-bake`,
      '--set',
      `app.cache-to=type=registry,ref=${cacheRef},ignore-error=true`,
      'app',
    ]
    const plainBake = await dockerOn(daemon, ['buildx', 'bake', ...bakeArgs], {cwd: repo})
    t.equal(plainBake.exitCode, 0, 'the control: plain bake completes', {output: plainBake.output})
    const ourBake = await dbuild(['bake', ...bakeArgs], repo)
    t.equal(ourBake.exitCode, 0, "dbuild bake exits with buildx's status", {output: ourBake.all})
    const bakeSaid = warnings(ourBake.all ?? '')
    t.equal(bakeSaid.length, 1, 'one warning', {bakeSaid})
    t.match(bakeSaid[0], /target app: .*not attached to/)
  })

  t.test('the registry cannot be reached: buildx status, one warning', async (t) => {
    const repo = await gitRepo(path.join(root, 'repo-gone'), files)
    const cacheRef = `127.0.0.1:${await freePort()}/${uniqueName('cache')}:main`
    const image = `${engine.registry}/${uniqueName('dbuild-publish-gone')}:ci`
    const args = ['--progress=plain', '--push', '-t', image, '--cache-to', `type=registry,ref=${cacheRef},ignore-error=true`, '.']
    const plain = await dockerOn(daemon, ['buildx', 'build', ...args], {cwd: repo})
    t.equal(plain.exitCode, 0, 'the control: plain buildx completes', {output: plain.output})
    const ours = await dbuild(['build', ...args], repo)
    t.equal(ours.exitCode, 0, "dbuild exits with buildx's status", {output: ours.all})
    const said = warnings(ours.all ?? '')
    t.equal(said.length, 1, 'one warning', {said})
    t.match(said[0], new RegExp(`not attached to ${cacheRef.replaceAll('.', '\\.')}`))
  })
}
