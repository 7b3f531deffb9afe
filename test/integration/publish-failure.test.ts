/**
 * Publishing the context manifest after a push is dbuild's addition, never a reason to fail a build
 * buildx completed: when the registry refuses it (read-only) or cannot be reached, `dbuild build`
 * and `dbuild bake` exit with buildx's status and say so in one warning. Plain buildx with the same
 * command line is the control. The cache goes to a registry with `ignore-error=true`, so buildx
 * completes whatever that registry does, and dbuild's publish to it is what fails.
 */
import {mkdirSync, writeFileSync} from 'node:fs'
import net from 'node:net'
import path from 'node:path'

import {execa, type ResultPromise} from 'execa'
import t from 'tap'

import {ROOT, useEngine} from '../engine/index.js'
import {dockerOn, gitRepo, tempDir, uniqueName} from '../helpers/index.js'

const BIN = path.join(ROOT, 'bin', 'run.js')
const engine = useEngine(t)

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port
      server.close(() => resolve(port))
    })
    server.on('error', reject)
  })
}

/** docker-registry on `port` over `dir`'s data, read-only or not; resolves once it answers. */
async function startRegistry(dir: string, port: number, readOnly: boolean): Promise<{child: ResultPromise}> {
  const config = [
    'version: 0.1',
    'log:',
    '  level: warn',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${dir}/data`,
    ...(readOnly ? ['  maintenance:', '    readonly:', '      enabled: true'] : []),
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '',
  ].join('\n')
  const file = path.join(dir, readOnly ? 'read-only.yml' : 'config.yml')
  writeFileSync(file, config)
  const child = execa('docker-registry', ['serve', file], {reject: false, all: true})
  const deadline = Date.now() + 30_000
  for (;;) {
    const status = await fetch(`http://127.0.0.1:${port}/v2/`).then(
      (response) => response.status,
      () => 0,
    )
    if (status === 200) return {child}
    if (Date.now() > deadline) throw new Error(`the registry did not start: ${status}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

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
    mkdirSync(dir)
    const port = await freePort()
    const cacheRef = `127.0.0.1:${port}/${uniqueName('cache')}:main`
    const repo = await gitRepo(path.join(root, 'repo-ro'), files)
    // the cache is there first, so the manifest has something to attach to; then the registry turns read-only
    const writable = await startRegistry(dir, port, false)
    const filled = await dockerOn(daemon, ['buildx', 'build', '--progress=plain', '--cache-to', `type=registry,ref=${cacheRef}`, '.'], {
      cwd: repo,
    })
    writable.child.kill('SIGTERM')
    await writable.child
    t.equal(filled.exitCode, 0, 'the cache was pushed', {output: filled.output})
    const readOnly = await startRegistry(dir, port, true)
    t.teardown(async () => {
      readOnly.child.kill('SIGTERM')
      await readOnly.child
    })

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
