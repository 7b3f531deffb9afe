/**
 * `dbuild bake` on the real engine, with plain `docker buildx bake` as the control: a bake file with
 * two targets in a umask 002 clone (canonical output modes; COPY --link --chown=app:app on the
 * containerd store), and a compose file read by bake itself.
 */
import {readFileSync, statSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'
import t from 'tap'

import {cacheEntryText, planBake} from '../../src/pipeline/bake.js'
import {type Daemon, ROOT, useEngine} from '../engine/index.js'
import {type BuildxRun, cloneUnderUmask, dockerOn, gitRepo, tempDir, uniqueName} from '../helpers/index.js'

const BIN = path.join(ROOT, 'bin', 'run.js')
const engine = useEngine(t)

const mode = (file: string) => (statSync(file).mode & 0o7777).toString(8)

t.test('cache entries printed as objects (buildx >= 0.18) become the CSV every buildx reads', async (t) => {
  t.equal(cacheEntryText('type=registry,ref=r/app:cache'), 'type=registry,ref=r/app:cache')
  t.equal(cacheEntryText({type: 'registry', ref: 'r/app:cache'}), 'type=registry,ref=r/app:cache')
  t.equal(cacheEntryText({type: 'local', src: '/a,b'}), 'type=local,"src=/a,b"', 'a comma is quoted as CSV')
})

if (engine) {
  const root = tempDir(t)
  const cacheDir = path.join(root, 'cache')

  const dbuildOn = async (daemon: Daemon, args: string[], cwd: string): Promise<BuildxRun & {stdout: string}> => {
    const env: NodeJS.ProcessEnv = {...daemon.env, DBUILD_CACHE_DIR: cacheDir, NO_COLOR: '1'}
    delete env.CI
    const result = await execa(process.execPath, [BIN, ...args], {cwd, env, extendEnv: false, reject: false, all: true})
    return {exitCode: result.exitCode ?? 1, output: result.all ?? '', stdout: result.stdout ?? ''}
  }

  // no RUN: buildx 0.13's bake has no `network` key, and the test daemons have no bridge
  const LINK_CHOWN = [`FROM ${engine.baseImage}`, 'COPY --link --chown=app:app owned.txt /home/app/owned.txt', ''].join('\n')
  const BAKE_FILE = `
variable "OUT" { default = "out" }
group "default" { targets = ["files", "owned"] }
target "files" {
  context = "app"
  contexts = { lib = "lib" }
  output = ["type=local,dest=\${OUT}/files"]
}
target "owned" {
  context = "svc"
  dockerfile = "svc.Dockerfile"
  output = ["type=tar,dest=\${OUT}-owned.tar"]
}
`

  const clone = async (name: string) => {
    const source = await gitRepo(path.join(root, `${name}-source`), {
      'docker-bake.hcl': BAKE_FILE,
      'app/Dockerfile': 'FROM scratch\nCOPY . /app/\nCOPY --from=lib . /lib/\n',
      'app/tree/hello.txt': 'hello\n',
      'lib/lib.txt': 'lib\n',
      'svc/svc.Dockerfile': LINK_CHOWN,
      'svc/owned.txt': 'mine\n',
    })
    return cloneUnderUmask(source, path.join(root, name), '002')
  }

  t.test('a bake file with two targets in a umask 002 clone, on the containerd store', async (t) => {
    const checkout = await clone('hcl')
    t.equal(mode(path.join(checkout, 'app/tree/hello.txt')), '664', 'the clone has umask 002 modes')

    // the control: plain bake, one target at a time (a failing target cancels its siblings)
    const plainFiles = await dockerOn(engine.containerd, ['buildx', 'bake', '--progress=plain', '--set', 'files.output=type=local,dest=plain/files', 'files'], {cwd: checkout})
    t.equal(plainFiles.exitCode, 0, 'plain bake builds the files target', {output: plainFiles.output})
    t.equal(mode(path.join(checkout, 'plain/files/app/tree/hello.txt')), '664', 'plain bake: the umask 002 file mode reaches the output')
    t.equal(mode(path.join(checkout, 'plain/files/app/tree')), '775', 'plain bake: and the directory mode')
    const plainOwned = await dockerOn(engine.containerd, ['buildx', 'bake', '--progress=plain', 'owned'], {cwd: checkout})
    t.not(plainOwned.exitCode, 0, 'plain bake fails on the containerd store')
    t.match(plainOwned.output, /invalid user index: -1/, 'as in seed 000')

    const ours = await dbuildOn(engine.containerd, ['bake', '--progress=plain'], checkout)
    t.equal(ours.exitCode, 0, 'dbuild bake builds both targets', {output: ours.output})
    t.equal(mode(path.join(checkout, 'out/files/app/tree/hello.txt')), '644', 'dbuild bake: canonical file mode')
    t.equal(mode(path.join(checkout, 'out/files/app/tree')), '755', 'dbuild bake: canonical directory mode')
    t.equal(mode(path.join(checkout, 'out/files/lib/lib.txt')), '644', 'the named context was staged too')
    // the local exporter does not keep owners; a tar does
    const listing = await execa('tar', ['--numeric-owner', '-tvf', path.join(checkout, 'out-owned.tar'), 'home/app/owned.txt'], {reject: false, all: true})
    t.match(listing.all, /^\S+ 1000\/1000 .* home\/app\/owned\.txt$/m, 'COPY --link --chown=app:app built with the ids of app', {output: listing.all})
    t.match(ours.output, /target files: context staged/)
    t.match(ours.output, /target files: build context lib: context staged/)
    t.equal(readFileSync(path.join(checkout, 'svc/svc.Dockerfile'), 'utf8'), LINK_CHOWN, "the user's Dockerfile is unchanged")

    const printed = await dbuildOn(engine.containerd, ['bake', '--print', '--set', 'files.args.X=1', 'files'], checkout)
    t.equal(printed.exitCode, 0, '--print', {output: printed.output})
    const definition = JSON.parse(printed.stdout) as {target: Record<string, {context: string; dockerfile: string; contexts: Record<string, string>; args: Record<string, string>}>}
    t.same(Object.keys(definition.target), ['files'], 'only the targets asked for')
    t.ok(definition.target.files?.context.startsWith(cacheDir), 'the context is the stage')
    t.ok(definition.target.files?.contexts.lib?.startsWith(cacheDir), 'and the named context')
    t.equal(definition.target.files?.args.X, '1', '--set reached the definition')

    const dry = await dbuildOn(engine.containerd, ['bake', '--dry-run', '--no-cache', '-f', 'docker-bake.hcl', 'files'], checkout)
    t.equal(dry.exitCode, 0, '--dry-run', {output: dry.output})
    t.match(dry.stdout, /^docker buildx bake --no-cache --file \S+\.json files$/m, 'the command: flags passed through, the generated definition for -f')

    // --allow fs.read only where bake knows it (0.19 on): the stages live outside the working directory
    const env = {...engine.containerd.env, DBUILD_CACHE_DIR: cacheDir}
    const plan = async (version: [number, number, number]) => {
      const planned = await planBake({argv: ['files'], cwd: checkout, env, buildxVersion: version})
      return planned.kind === 'plan' ? planned.args : []
    }
    t.same((await plan([0, 20, 0])).slice(-3), ['--allow', `fs.read=${cacheDir}`, 'files'], 'buildx 0.20: --allow fs.read=<dbuild cache>')
    t.notOk((await plan([0, 13, 1])).includes('--allow'), 'buildx 0.13: no --allow')
  })

  t.test('a compose file, through dbuild bake -f compose.yaml', async (t) => {
    const checkout = await clone('compose')
    const image = uniqueName('dbuild-bake-compose')
    const compose = `services:\n  web:\n    image: ${image}:latest\n    build:\n      context: app\n`
    writeFileSync(path.join(checkout, 'compose.yaml'), compose)
    const ours = await dbuildOn(engine.graphdriver, ['bake', '-f', 'compose.yaml', '--progress=plain', '--set', 'web.contexts.lib=lib', '--set', 'web.output=type=local,dest=out/web'], checkout)
    t.equal(ours.exitCode, 0, 'dbuild bake builds the compose service', {output: ours.output})
    t.match(ours.output, /target web: context staged/)
    t.equal(mode(path.join(checkout, 'out/web/app/tree/hello.txt')), '644', 'canonical modes from a compose build')
    const bad = await dbuildOn(engine.graphdriver, ['bake', '-f', 'compose.yaml', 'nope'], checkout)
    t.not(bad.exitCode, 0, 'an unknown target fails as bake fails')
    t.match(bad.output, /nope/, "with bake's own message")
  })
}
