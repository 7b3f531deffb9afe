/**
 * `dbuild docker install --buildx`: the docker-buildx shim in a DOCKER_CONFIG that already holds
 * the engine's buildx (a link), Compose, docker-scan and a plugin of someone else's, every one of
 * them left byte for byte by install, status, repair and uninstall. Through the real docker CLI
 * and the plugin binary run directly (as Compose runs it): build, b, bake and docker build go
 * through dbuild, everything else reaches the real buildx untouched; DBUILD_BUILDX_SHIM=0 bypasses
 * it; status sees it written over (setup-buildx-action), install repairs it, uninstall gives every
 * byte and link back.
 */
import {chmodSync, copyFileSync, existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'
import t from 'tap'

import {ROOT, useEngine} from '../engine/index.js'
import {cloneUnderUmask, gitRepo, tempDir} from '../helpers/index.js'
import {readTar} from '../helpers/oracle.js'

const BIN = path.join(ROOT, 'bin', 'run.js')
const engine = useEngine(t)

/** Every entry of a directory as it is: a link's target, a file's bytes and mode. */
function snapshot(dir: string): Record<string, string> {
  const entries: Record<string, string> = {}
  for (const name of readdirSync(dir).sort()) {
    const file = path.join(dir, name)
    const stat = lstatSync(file)
    entries[name] = stat.isSymbolicLink()
      ? `link ${readlinkSync(file)}`
      : `file ${(stat.mode & 0o7777).toString(8)} ${readFileSync(file).toString('base64')}`
  }
  return entries
}

if (engine) {
  const root = tempDir(t, 'dbuild-buildx-shim-it-')
  const daemon = engine.graphdriver
  const dockerConfig = engine.dockerConfig(path.join(root, 'docker-config'))
  const plugins = path.join(dockerConfig, 'cli-plugins')
  const shim = path.join(plugins, 'docker-buildx')
  const OTHER = '#!/bin/sh\n[ "$1" = docker-cli-plugin-metadata ] && exec echo \'{"SchemaVersion":"0.1.0","Vendor":"t"}\'\necho other\n'
  writeFileSync(path.join(plugins, 'docker-other'), OTHER, {mode: 0o755})
  // a plugin docker no longer ships, still lying in many users' cli-plugins; and a hidden file of someone else's
  writeFileSync(
    path.join(plugins, 'docker-scan'),
    '#!/bin/sh\n[ "$1" = docker-cli-plugin-metadata ] && exec echo \'{"SchemaVersion":"0.1.0","Vendor":"Docker Inc.","Version":"v0.23.0"}\'\necho scan\n',
    {mode: 0o700},
  )
  writeFileSync(path.join(plugins, '.docker-scan.bak'), 'old\n', {mode: 0o600})
  // the floor engine has no Compose: a docker-compose of its own stands in for the link the current engine makes
  if (!existsSync(path.join(plugins, 'docker-compose')))
    writeFileSync(
      path.join(plugins, 'docker-compose'),
      '#!/bin/sh\n[ "$1" = docker-cli-plugin-metadata ] && exec echo \'{"SchemaVersion":"0.1.0","Vendor":"Docker Inc.","Version":"v2.0.0"}\'\necho compose\n',
      {mode: 0o755},
    )
  writeFileSync(path.join(dockerConfig, 'config.json'), '{\n\t"auths": {}\n}')
  const env: NodeJS.ProcessEnv = {...daemon.env, DOCKER_CONFIG: dockerConfig, DBUILD_CACHE_DIR: path.join(root, 'cache'), NO_COLOR: '1'}
  delete env.CI

  const run = async (command: string, args: string[], options: {cwd?: string; input?: string; extra?: NodeJS.ProcessEnv} = {}) => {
    const result = await execa(command, args, {
      cwd: options.cwd ?? root,
      env: {...env, ...options.extra},
      extendEnv: false,
      reject: false,
      input: options.input,
      timeout: 180_000,
    })
    return {exitCode: result.exitCode ?? 1, stdout: result.stdout ?? '', stderr: result.stderr ?? ''}
  }
  const dbuild = (args: string[]) => run(process.execPath, [BIN, ...args])
  const docker = (args: string[], options: {cwd?: string; input?: string; extra?: NodeJS.ProcessEnv} = {}) => run('docker', args, options)
  /** The mode of tree/hello.txt in a tar the build wrote: 644 through dbuild, 664 (the clone's umask 002) without. */
  const builtMode = async (tar: string) =>
    ((await readTar(tar)).find((entry) => entry.path.endsWith('tree/hello.txt'))?.mode ?? 0).toString(8)

  t.test('install, run, bypass, status, repair and uninstall', async (t) => {
    const before = snapshot(plugins)
    /** Every entry but dbuild's own (docker-buildx, docker-dbuild and the .docker-buildx.dbuild-* beside them): the other plugins. */
    const others = () =>
      Object.fromEntries(
        Object.entries(snapshot(plugins)).filter(
          ([name]) => name !== 'docker-buildx' && name !== 'docker-dbuild' && !name.startsWith('.docker-buildx.dbuild-'),
        ),
      )
    const othersBefore = others()
    t.ok(
      ['docker-compose', 'docker-scan', 'docker-other', '.docker-scan.bak'].every((name) => name in othersBefore),
      'cli-plugins holds other plugins',
      {found: Object.keys(othersBefore)},
    )
    const realTarget = readlinkSync(shim)
    const version = await docker(['buildx', 'version'])
    const metadata = await run(shim, ['docker-cli-plugin-metadata'])
    const inspect = await docker(['buildx', 'inspect', 'no-such-builder'])
    t.not(inspect.exitCode, 0, 'the real buildx refuses an unknown builder')

    const install = await dbuild(['docker', 'install', '--buildx', '--json'])
    t.equal(install.exitCode, 0, 'dbuild docker install --buildx', {output: install.stderr})
    const installed = JSON.parse(install.stdout) as {buildx: {kept: string; real: string}}
    t.equal(readlinkSync(installed.buildx.kept), realTarget, 'the docker-buildx link that was there is kept as it was')
    t.equal(installed.buildx.real, installed.buildx.kept, 'and is the real buildx the shim runs')
    t.match(readFileSync(shim, 'utf8'), /^#!\/bin\/sh\n# dbuild-buildx-shim\n/, 'docker-buildx is the shim')
    t.equal(readFileSync(path.join(plugins, 'docker-other'), 'utf8'), OTHER, 'another plugin is untouched')
    t.same(others(), othersBefore, 'install: the other plugins byte for byte')

    const shimmed = await run(shim, ['docker-cli-plugin-metadata'])
    t.equal(shimmed.stdout, metadata.stdout, 'docker-cli-plugin-metadata: what the real buildx answers')
    t.same(await docker(['buildx', 'version']), version, 'docker buildx version: the real version, byte for byte')
    t.same(await docker(['buildx', 'inspect', 'no-such-builder']), inspect, 'a refused buildx command: its output and exit status')
    t.equal((await docker(['other'])).stdout, 'other', 'the other plugin still runs')

    const source = await gitRepo(path.join(root, 'source'), {
      Dockerfile: 'FROM scratch\nCOPY tree /tree/\n',
      'tree/hello.txt': 'hello\n',
    })
    const checkout = await cloneUnderUmask(source, path.join(root, 'checkout'), '002')
    const tar = (name: string) => path.join(root, `${name}.tar`)
    const cases: Array<[string, string[], NodeJS.ProcessEnv, string]> = [
      ['docker buildx build', ['buildx', 'build', '--progress=plain', '-o', `type=tar,dest=${tar('build')}`, '.'], {}, '644'],
      ['docker buildx b', ['buildx', 'b', '--progress=plain', '-o', `type=tar,dest=${tar('b')}`, '.'], {}, '644'],
      ['docker build', ['build', '--progress=plain', '-o', `type=tar,dest=${tar('docker-build')}`, '.'], {}, '644'],
      [
        'docker --host H buildx --builder default build',
        ['--host', daemon.host, 'buildx', '--builder', 'default', 'build', '--progress=plain', '-o', `type=tar,dest=${tar('flags')}`, '.'],
        {},
        '644',
      ],
      [
        'DBUILD_BUILDX_SHIM=0 docker buildx build',
        ['buildx', 'build', '--progress=plain', '-o', `type=tar,dest=${tar('bypass')}`, '.'],
        {DBUILD_BUILDX_SHIM: '0'},
        '664',
      ],
    ]
    for (const [what, args, extra, mode] of cases) {
      const result = await docker(args, {cwd: checkout, extra})
      t.equal(result.exitCode, 0, `${what} builds`, {stderr: result.stderr})
      if (result.exitCode === 0)
        t.equal(
          await builtMode(args.find((arg) => arg.startsWith('type=tar'))!.slice('type=tar,dest='.length)),
          mode,
          `${what}: ${mode === '644' ? 'through dbuild (canonical mode)' : 'the real buildx alone'}`,
        )
    }

    // as Compose runs it: the plugin binary itself, the definition on stdin, rawjson progress
    const definition = JSON.stringify({target: {app: {context: checkout, output: [`type=tar,dest=${path.join(checkout, 'compose.tar')}`]}}})
    const meta = path.join(root, 'bake-meta.json')
    const bake = await run(shim, ['bake', '--file', '-', '--progress', 'rawjson', '--metadata-file', meta, 'app'], {
      cwd: checkout,
      input: definition,
    })
    t.equal(bake.exitCode, 0, 'docker-buildx bake --file - --progress rawjson, run directly', {stderr: bake.stderr})
    t.equal(bake.stdout, '', 'nothing on stdout')
    t.notMatch(bake.stderr, /^dbuild/m, 'no dbuild note in the rawjson stream')
    t.ok(existsSync(meta) && 'app' in (JSON.parse(readFileSync(meta, 'utf8')) as object), 'the metadata file has the target')
    if (bake.exitCode === 0) t.equal(await builtMode(path.join(checkout, 'compose.tar')), '644', 'bake through dbuild')

    let status = JSON.parse((await dbuild(['docker', 'status', '--json'])).stdout) as {buildx: {state: string; real?: string}}
    t.equal(status.buildx.state, 'installed', 'status: installed')
    t.same(others(), othersBefore, 'status: the other plugins byte for byte')

    // a buildx upgrade or removal of the kept one: the shim searches again and finds the system buildx, if any
    const system = '/usr/libexec/docker/cli-plugins/docker-buildx'
    if (existsSync(system)) {
      const kept = installed.buildx.kept
      const link = readlinkSync(kept)
      rmSync(kept)
      const fallback = await docker(['buildx', 'version'])
      t.equal(fallback.exitCode, 0, 'with the kept buildx gone, the shim runs the system one', {stderr: fallback.stderr})
      status = JSON.parse((await dbuild(['docker', 'status', '--json'])).stdout) as typeof status
      t.equal(status.buildx.real, system, 'status names it')
      const {symlinkSync} = await import('node:fs')
      symlinkSync(link, kept)
    }

    // setup-buildx-action writes its buildx over the shim
    rmSync(shim)
    copyFileSync(realTarget, shim)
    chmodSync(shim, 0o755)
    const overwriter = readFileSync(shim)
    status = JSON.parse((await dbuild(['docker', 'status', '--json'])).stdout) as typeof status
    t.equal(status.buildx.state, 'overwritten', 'status: written over')
    const doctor = await dbuild(['doctor', '--json'])
    t.match(doctor.stdout, /"id": "buildx-shim",\s*"title": "buildx shim",\s*"status": "warn"/, 'doctor warns')
    t.same(others(), othersBefore, 'status and doctor on the written-over shim: the other plugins byte for byte')
    t.equal((await dbuild(['docker', 'install', '--buildx'])).exitCode, 0, 'install again')
    t.same(others(), othersBefore, 'repair: the other plugins byte for byte')
    status = JSON.parse((await dbuild(['docker', 'status', '--json'])).stdout) as typeof status
    t.equal(status.buildx.state, 'installed', 'repaired')
    t.ok(readFileSync(path.join(plugins, '.docker-buildx.dbuild-kept')).equals(overwriter), 'the buildx that wrote over it is the one kept')
    t.same(await docker(['buildx', 'version']), version, 'and runs as the real buildx')

    t.equal((await dbuild(['docker', 'uninstall'])).exitCode, 0, 'uninstall')
    t.same(others(), othersBefore, 'uninstall: the other plugins byte for byte')
    t.ok(readFileSync(shim).equals(overwriter), 'the docker-buildx from before the repair is back')
    rmSync(shim)
    const {symlinkSync} = await import('node:fs')
    symlinkSync(realTarget, shim)
    t.same(snapshot(plugins), before, 'nothing else left behind')

    // the plain cycle: install, uninstall, every byte and link back
    t.equal((await dbuild(['docker', 'install', '--buildx'])).exitCode, 0, 'install')
    t.equal((await dbuild(['docker', 'uninstall'])).exitCode, 0, 'uninstall')
    t.same(snapshot(plugins), before, 'cli-plugins as before: the buildx link, compose, docker-scan, the other plugin')
    t.equal(readFileSync(path.join(dockerConfig, 'config.json'), 'utf8'), '{\n\t"auths": {}\n}', 'config.json untouched')
  })
}
