/**
 * stdin belongs to buildx: `dbuild bake --file -` (the definition on stdin, as Compose gives it),
 * `dbuild build -f -` (the Dockerfile) and context `-` (a Dockerfile alone) build what plain buildx
 * builds from the same stdin, on a umask 002 clone, with canonical modes as the only difference.
 */
import {mkdirSync} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'
import t, {type Test} from 'tap'

import {ROOT, useEngine} from '../engine/index.js'
import {cloneUnderUmask, gitRepo, tempDir} from '../helpers/index.js'
import {compareImages, readTar} from '../helpers/oracle.js'

const BIN = path.join(ROOT, 'bin', 'run.js')
const engine = useEngine(t)
/** A hang (stdin never reaching buildx) fails the test instead of stalling the run. */
const TIMEOUT_MS = 180_000

if (engine) {
  const root = tempDir(t, 'dbuild-stdin-it-')
  const daemon = engine.graphdriver
  const cacheDir = path.join(root, 'cache')

  const run = async (builder: 'plain' | 'dbuild', args: string[], cwd: string, input: string) => {
    // each its own buildx client: BuildKit keeps one synced copy of a context per client, and a
    // directory in it keeps the time of an earlier sync, so a shared client makes plain's mtimes
    // depend on what the other built before
    const env: NodeJS.ProcessEnv = {
      ...daemon.env,
      DOCKER_CONFIG: engine.dockerConfig(path.join(root, `client-${builder}`)),
      DBUILD_CACHE_DIR: cacheDir,
      NO_COLOR: '1',
    }
    delete env.CI
    const [command, argv] = builder === 'plain' ? ['docker', ['buildx', ...args]] : [process.execPath, [BIN, ...args]]
    const result = await execa(command, argv, {cwd, env, extendEnv: false, input, reject: false, all: true, timeout: TIMEOUT_MS})
    return {exitCode: result.timedOut ? -1 : (result.exitCode ?? 1), output: result.all ?? ''}
  }

  const both = async (t: Test, what: string, args: (out: string) => string[], cwd: string, input: string) => {
    const slug = what.replace(/\W+/g, '-')
    const outs = {plain: path.join(cwd, 'out', `${slug}-plain.tar`), dbuild: path.join(cwd, 'out', `${slug}-dbuild.tar`)}
    const started = {plain: Date.now() / 1000, ours: 0}
    const plain = await run('plain', args(outs.plain), cwd, input)
    started.ours = Date.now() / 1000
    t.equal(plain.exitCode, 0, `${what}: plain buildx builds`, {output: plain.output})
    const ours = await run('dbuild', args(outs.dbuild), cwd, input)
    t.equal(ours.exitCode, 0, `${what}: dbuild builds from the same stdin, without hanging`, {output: ours.output})
    if (plain.exitCode !== 0 || ours.exitCode !== 0) return
    const plainEntries = await readTar(outs.plain)
    const ourEntries = await readTar(outs.dbuild)
    t.same(compareImages(plainEntries, ourEntries, {started}), [], `${what}: the image plain buildx builds, modes aside`)
    return {plain: plainEntries, ours: ourEntries}
  }

  t.test('bake --file - , build -f - and context -', async (t) => {
    const source = await gitRepo(path.join(root, 'source'), {
      'app/Dockerfile': 'FROM scratch\nCOPY . /app/\n',
      'app/tree/hello.txt': 'hello\n',
    })
    const checkout = await cloneUnderUmask(source, path.join(root, 'checkout'), '002')
    mkdirSync(path.join(checkout, 'out'), {recursive: true})

    const definition = (out: string) => JSON.stringify({target: {app: {context: 'app', output: [`type=tar,dest=${out}`]}}})
    // a directory COPY writes into gets the time of the build: compareImages allows it from each start on
    const started = {plain: 0, ours: 0}
    for (const builder of ['plain', 'dbuild'] as const) {
      started[builder === 'plain' ? 'plain' : 'ours'] = Date.now() / 1000
      // inside the working directory: bake 0.19+ asks for an entitlement to write anywhere else
      const out = path.join(checkout, 'out', `bake-${builder}.tar`)
      const result = await run(builder, ['bake', '--file', '-', '--progress=plain', '--no-cache', 'app'], checkout, definition(out))
      t.equal(result.exitCode, 0, `bake --file - (${builder}) builds`, {output: result.output})
    }
    const bakePlain = await readTar(path.join(checkout, 'out', 'bake-plain.tar'))
    const bakeOurs = await readTar(path.join(checkout, 'out', 'bake-dbuild.tar'))
    t.same(compareImages(bakePlain, bakeOurs, {started}), [], 'bake --file -: the image plain bake builds, modes aside')
    t.equal(
      bakeOurs.find((entry) => entry.path === 'app/tree/hello.txt')?.mode,
      0o644,
      'dbuild bake staged the context from the stdin definition',
    )
    t.equal(bakePlain.find((entry) => entry.path === 'app/tree/hello.txt')?.mode, 0o664, 'plain bake kept the umask 002 mode')

    const bakeHcl = await run('dbuild', ['bake', '-f', '-', '--print', 'app'], checkout, 'target "app" {\n  context = "app"\n}\n')
    t.equal(bakeHcl.exitCode, 0, 'an HCL definition on stdin: --print', {output: bakeHcl.output})
    t.ok(bakeHcl.output.includes(`"context": "${cacheDir}`), 'the printed definition builds from the stage')

    const dockerfile = 'FROM scratch\nCOPY tree /tree/\n'
    const fromStdin = await both(
      t,
      'build -f -',
      (out) => ['build', '--progress=plain', '--no-cache', '-o', `type=tar,dest=${out}`, '-f', '-', 'app'],
      checkout,
      dockerfile,
    )
    t.equal(fromStdin?.ours.find((entry) => entry.path === 'tree/hello.txt')?.mode, 0o644, 'build -f -: the context was staged')

    const contextless = 'FROM scratch\nLABEL made=stdin\n'
    await both(t, 'build -', (out) => ['build', '--progress=plain', '--no-cache', '-o', `type=tar,dest=${out}`, '-'], checkout, contextless)
  })
}
