/**
 * `dbuild bake` on the real engine, with plain `docker buildx bake` as the control: a bake file with
 * two targets in a umask 002 clone (canonical output modes; COPY --link --chown=app:app on the
 * containerd store), and a compose file read by bake itself.
 */
import {mkdirSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'
import t from 'tap'

import {ExitCode} from '../../src/exit-codes.js'
import {BAKE_FS_ENTITLEMENTS, BAKE_OVERRIDE_GRANTS, cacheEntryText, planBake} from '../../src/pipeline/bake.js'
import {type Daemon, ROOT, useEngine, versionAtLeast} from '../engine/index.js'
import {type BuildxRun, cloneUnderUmask, dockerOn, gitRepo, tempDir, uniqueName} from '../helpers/index.js'

const BIN = path.join(ROOT, 'bin', 'run.js')
const engine = useEngine(t)

const mode = (file: string) => (statSync(file).mode & 0o7777).toString(8)

/** Every regular file under `dir` by its relative path, with its text. */
const treeContents = (dir: string): Record<string, string> =>
  Object.fromEntries(
    readdirSync(dir, {recursive: true, withFileTypes: true})
      .filter((entry) => entry.isFile())
      .map((entry) => {
        const file = path.join(entry.parentPath, entry.name)
        return [path.relative(dir, file), readFileSync(file, 'utf8')]
      })
      .sort(([a = ''], [b = '']) => (a < b ? -1 : 1)),
  )

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
    const plainFiles = await dockerOn(
      engine.containerd,
      ['buildx', 'bake', '--progress=plain', '--set', 'files.output=type=local,dest=plain/files', 'files'],
      {cwd: checkout},
    )
    t.equal(plainFiles.exitCode, 0, 'plain bake builds the files target', {output: plainFiles.output})
    t.equal(mode(path.join(checkout, 'plain/files/app/tree/hello.txt')), '664', 'plain bake: the umask 002 file mode reaches the output')
    t.equal(mode(path.join(checkout, 'plain/files/app/tree')), '775', 'plain bake: and the directory mode')
    const plainOwned = await dockerOn(engine.containerd, ['buildx', 'bake', '--progress=plain', 'owned'], {cwd: checkout})
    t.not(plainOwned.exitCode, 0, 'plain bake fails on the containerd store')
    t.match(plainOwned.output, /invalid user index: -1/, 'as plain buildx fails on the containerd store')

    const ours = await dbuildOn(engine.containerd, ['bake', '--progress=plain'], checkout)
    t.equal(ours.exitCode, 0, 'dbuild bake builds both targets', {output: ours.output})
    t.equal(mode(path.join(checkout, 'out/files/app/tree/hello.txt')), '644', 'dbuild bake: canonical file mode')
    t.equal(mode(path.join(checkout, 'out/files/app/tree')), '755', 'dbuild bake: canonical directory mode')
    t.equal(mode(path.join(checkout, 'out/files/lib/lib.txt')), '644', 'the named context was staged too')
    // the local exporter does not keep owners; a tar does
    const listing = await execa('tar', ['--numeric-owner', '-tvf', path.join(checkout, 'out-owned.tar'), 'home/app/owned.txt'], {
      reject: false,
      all: true,
    })
    t.match(listing.all, /^\S+ 1000\/1000 .* home\/app\/owned\.txt$/m, 'COPY --link --chown=app:app built with the ids of app', {
      output: listing.all,
    })
    t.match(ours.output, /target files: context staged/)
    t.match(ours.output, /target files: build context lib: context staged/)
    t.equal(readFileSync(path.join(checkout, 'svc/svc.Dockerfile'), 'utf8'), LINK_CHOWN, "the user's Dockerfile is unchanged")

    const printed = await dbuildOn(engine.containerd, ['bake', '--print', '--set', 'files.args.X=1', 'files'], checkout)
    t.equal(printed.exitCode, 0, '--print', {output: printed.output})
    const definition = JSON.parse(printed.stdout) as {
      target: Record<string, {context: string; dockerfile: string; contexts: Record<string, string>; args: Record<string, string>}>
    }
    t.same(Object.keys(definition.target), ['files'], 'only the targets asked for')
    t.ok(definition.target.files?.context.startsWith(cacheDir), 'the context is the stage')
    t.ok(definition.target.files?.contexts.lib?.startsWith(cacheDir), 'and the named context')
    t.equal(definition.target.files?.args.X, '1', '--set reached the definition')

    const dry = await dbuildOn(engine.containerd, ['bake', '--dry-run', '--no-cache', '-f', 'docker-bake.hcl', 'files'], checkout)
    t.equal(dry.exitCode, 0, '--dry-run', {output: dry.output})
    // Where bake reads files outside its working directory only with an entitlement (buildx 0.19 on;
    // the floor's 0.13 reads them freely), the command also grants it for dbuild's cache.
    const entitled = versionAtLeast(engine.versions.buildx, BAKE_FS_ENTITLEMENTS.join('.'))
    const allow = entitled ? ` --allow fs\\.read=${cacheDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}` : ''
    t.match(
      dry.stdout,
      new RegExp(`^docker buildx bake --no-cache --file \\S+\\.json${allow} files$`, 'm'),
      `the command on buildx ${engine.versions.buildx}: flags passed through, the generated definition for -f${entitled ? ', the cache readable' : ''}`,
    )

    // --allow fs.read only where bake knows it (0.19 on): the stages live outside the working directory
    const env = {...engine.containerd.env, DBUILD_CACHE_DIR: cacheDir}
    const plan = async (version: [number, number, number]) => {
      const planned = await planBake({argv: ['files'], cwd: checkout, env, buildxVersion: version})
      return planned.kind === 'plan' ? planned.args : []
    }
    t.same((await plan([0, 20, 0])).slice(-3), ['--allow', `fs.read=${cacheDir}`, 'files'], 'buildx 0.20: --allow fs.read=<dbuild cache>')
    t.notOk((await plan([0, 13, 1])).includes('--allow'), 'buildx 0.13: no --allow')
  })

  // buildx (0.20 on) grants by itself what --set names (an output's dest, a local cache's dest and
  // src, a secret's file); dbuild folds --set into its own definition, so it must grant the same
  t.test('--set naming paths outside the working directory: plain bake builds, dbuild bake too, the same files', async (t) => {
    const checkout = await clone('grants')
    const outside = path.join(root, uniqueName('outside'))
    mkdirSync(outside)
    // buildx checks a local directory's entitlement against its nearest existing ancestor (a tar
    // file it creates first): plain bake builds into directories outside only once they exist
    for (const who of ['seed', 'plain', 'ours']) for (const dir of [who, `cache-${who}`]) mkdirSync(path.join(outside, dir))
    const secret = path.join(outside, 'secret.txt')
    writeFileSync(secret, 'not in the image\n')
    const daemon = engine.containerd
    const sets = (who: string, extra: string[] = []) => [
      '--set',
      `files.output=type=local,dest=${path.join(outside, who)}`,
      '--set',
      `files.secrets=id=token,src=${secret}`,
      '--set',
      `files.cache-to=type=local,dest=${path.join(outside, `cache-${who}`)}`,
      ...extra,
    ]
    // the control first: it also writes the local cache both read back below
    const seed = await dockerOn(daemon, ['buildx', 'bake', '--progress=plain', ...sets('seed'), 'files'], {cwd: checkout})
    t.equal(seed.exitCode, 0, 'plain bake with --set output, secret and cache-to outside its directory', {output: seed.output})
    const cacheFrom = ['--set', `files.cache-from=type=local,src=${path.join(outside, 'cache-seed')}`]
    const plain = await dockerOn(daemon, ['buildx', 'bake', '--progress=plain', ...sets('plain', cacheFrom), 'files'], {cwd: checkout})
    t.equal(plain.exitCode, 0, 'plain bake, and a local cache-from outside too', {output: plain.output})
    const ours = await dbuildOn(daemon, ['bake', '--progress=plain', ...sets('ours', cacheFrom), 'files'], checkout)
    t.equal(ours.exitCode, 0, 'dbuild bake builds it too', {output: ours.output})
    t.same(treeContents(path.join(outside, 'ours')), treeContents(path.join(outside, 'plain')), 'the same files as plain bake')
    t.ok(treeContents(path.join(outside, 'ours'))['app/tree/hello.txt'] === 'hello\n', 'the output holds the context')
    t.ok(statSync(path.join(outside, 'cache-ours', 'index.json')).isFile(), 'the local cache was written')

    // the grants are on the command only where buildx grants an override itself
    const dry = await dbuildOn(daemon, ['bake', '--dry-run', ...sets('dry', cacheFrom), 'files'], checkout)
    t.equal(dry.exitCode, 0, '--dry-run', {output: dry.output})
    const granted = versionAtLeast(engine.versions.buildx, BAKE_OVERRIDE_GRANTS.join('.'))
    for (const grant of [
      `fs.write=${path.join(outside, 'dry')}`,
      `fs.read=${secret}`,
      `fs.write=${path.join(outside, 'cache-dry')}`,
      `fs.read=${path.join(outside, 'cache-seed')}`,
    ]) {
      t.equal(
        dry.stdout.includes(` --allow ${grant} `),
        granted,
        `buildx ${engine.versions.buildx}: --allow ${grant} ${granted ? 'given' : 'not given'}`,
      )
    }
  })

  t.test('bake writes one context manifest per target: --manifest DIR, and in CI beside each stage', async (t) => {
    const checkout = await clone('manifests')
    const out = `out-${uniqueName('m')}`
    const ours = await dbuildOn(
      engine.graphdriver,
      ['bake', '--progress=plain', '--manifest', 'manifests', '--set', `*.output=type=local,dest=${out}`, 'files', 'owned'],
      checkout,
    )
    t.equal(ours.exitCode, 0, 'dbuild bake builds both targets', {output: ours.output})
    const files = path.join(checkout, 'manifests', 'files.jsonl')
    const owned = path.join(checkout, 'manifests', 'owned.jsonl')
    t.match(
      ours.output,
      new RegExp(`target files: context digest sha256:[0-9a-f]{64}; manifest written to ${files}`),
      'each target names its manifest',
    )
    t.match(ours.output, new RegExp(`target owned: context digest sha256:[0-9a-f]{64}; manifest written to ${owned}`))

    // each manifest is the one of its target's context and Dockerfile: explain finds nothing changed
    const explain = (args: string[]) => dbuildOn(engine.graphdriver, ['explain', ...args], checkout)
    t.equal((await explain(['--against', files, 'app'])).exitCode, 0, 'files.jsonl is the app context')
    t.equal(
      (await explain(['--against', owned, 'svc', '-f', 'svc/svc.Dockerfile'])).exitCode,
      0,
      'owned.jsonl is the svc context with its Dockerfile',
    )
    writeFileSync(path.join(checkout, 'app/tree/hello.txt'), 'changed\n')
    const changed = await explain(['--against', files, 'app'])
    t.equal(changed.exitCode, 1, 'a changed file in the files target is found')
    t.match(changed.output, /tree\/hello\.txt/)

    // in CI without --manifest: beside each target's stage, never in the work tree
    const ciEnv: NodeJS.ProcessEnv = {...engine.graphdriver.env, DBUILD_CACHE_DIR: cacheDir, NO_COLOR: '1', CI: 'true'}
    const ci = await execa(
      process.execPath,
      [BIN, 'bake', '--progress=plain', '--set', `*.output=type=local,dest=${out}-ci`, 'files', 'owned'],
      {cwd: checkout, env: ciEnv, extendEnv: false, reject: false, all: true},
    )
    t.equal(ci.exitCode, 0, 'CI bake', {output: ci.all})
    for (const target of ['files', 'owned']) {
      const written = new RegExp(`target ${target}: context digest \\S+; manifest written to (\\S+)`).exec(ci.all ?? '')?.[1]
      t.ok(
        written?.startsWith(cacheDir) && written.endsWith(`manifest.${target}.jsonl`),
        `CI: ${target}'s manifest in dbuild's own directory`,
        {written},
      )
      t.ok(written !== undefined && statSync(written).isFile())
    }

    // --manifest names a directory: a file there is a usage error, not a file overwritten
    writeFileSync(path.join(checkout, 'taken'), 'mine\n')
    const taken = await dbuildOn(engine.graphdriver, ['bake', '--manifest', 'taken', 'files'], checkout)
    t.equal(taken.exitCode, ExitCode.USAGE, taken.output)
    t.match(taken.output, /--manifest taken: .*taken is not a directory/)
    t.equal(readFileSync(path.join(checkout, 'taken'), 'utf8'), 'mine\n', 'left alone')
  })

  t.test('bake says "did you mean" for a mistyped flag and points at doctor when the daemon is unreachable, as build does', async (t) => {
    const checkout = await clone('hints')
    const typo = await dbuildOn(engine.graphdriver, ['bake', '--prnt', 'files'], checkout)
    t.not(typo.exitCode, 0, 'bake refuses the flag')
    t.match(typo.output, /unknown flag: --prnt/, "buildx's own message")
    t.match(typo.output, /dbuild: unknown flag: --prnt \(did you mean --print\?\)/)
    const own = await dbuildOn(engine.graphdriver, ['bake', '--dry-rn', 'files'], checkout)
    t.match(own.output, /did you mean --dry-run\?/, "dbuild's own flags too")

    const gone: Daemon = {...engine.graphdriver, env: {...engine.graphdriver.env, DOCKER_HOST: `unix://${path.join(checkout, 'no.sock')}`}}
    const unreachable = await dbuildOn(gone, ['bake', '--progress=plain', 'files'], checkout)
    t.not(unreachable.exitCode, 0)
    t.not(unreachable.exitCode, ExitCode.INTERNAL)
    t.match(unreachable.output, /dbuild: the docker daemon or builder cannot be reached; run dbuild doctor/)
  })

  t.test('a compose file, through dbuild bake -f compose.yaml', async (t) => {
    const checkout = await clone('compose')
    const image = uniqueName('dbuild-bake-compose')
    const compose = `services:\n  web:\n    image: ${image}:latest\n    build:\n      context: app\n`
    writeFileSync(path.join(checkout, 'compose.yaml'), compose)
    const ours = await dbuildOn(
      engine.graphdriver,
      ['bake', '-f', 'compose.yaml', '--progress=plain', '--set', 'web.contexts.lib=lib', '--set', 'web.output=type=local,dest=out/web'],
      checkout,
    )
    t.equal(ours.exitCode, 0, 'dbuild bake builds the compose service', {output: ours.output})
    t.match(ours.output, /target web: context staged/)
    t.equal(mode(path.join(checkout, 'out/web/app/tree/hello.txt')), '644', 'canonical modes from a compose build')
    const bad = await dbuildOn(engine.graphdriver, ['bake', '-f', 'compose.yaml', 'nope'], checkout)
    t.not(bad.exitCode, 0, 'an unknown target fails as bake fails')
    t.match(bad.output, /nope/, "with bake's own message")
  })
}
