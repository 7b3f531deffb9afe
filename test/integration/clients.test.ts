/**
 * The clients teams really build with, on the current engine, through dbuild's docker-buildx shim
 * and without it (the control): `docker compose build` (Compose runs the buildx binary itself:
 * `bake --file - --progress rawjson --metadata-file …`). A umask 022 clone builds first and fills
 * the daemon's build cache; a umask 002 clone of the same commit then hits it through the shim and
 * misses without: its RUN step is CACHED, or runs again.
 */
import {existsSync, mkdirSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'
import t from 'tap'

import {type Daemon, ROOT, useEngine} from '../engine/index.js'
import {cachedSteps, cloneUnderUmask, gitRepo, tempDir} from '../helpers/index.js'

const BIN = path.join(ROOT, 'bin', 'run.js')
const engine = useEngine(t)

if (engine && engine.flavor !== 'current') t.plan(0, 'Compose 2.40 is in the current engine only')
else if (engine) {
  const root = tempDir(t, 'dbuild-clients-it-')
  const daemon = engine.graphdriver

  const setup = async (name: string, shim: boolean, on: Daemon = daemon) => {
    const dockerConfig = engine.dockerConfig(path.join(root, `docker-config-${name}`))
    const env: NodeJS.ProcessEnv = {...on.env, DOCKER_CONFIG: dockerConfig, DBUILD_CACHE_DIR: path.join(root, `cache-${name}`), NO_COLOR: '1'}
    delete env.CI
    delete env.DBUILD_BUILDX_SHIM
    if (shim) {
      const install = await execa(process.execPath, [BIN, 'docker', 'install', '--buildx'], {env, extendEnv: false, reject: false, all: true})
      t.equal(install.exitCode, 0, `${name}: dbuild docker install --buildx`, {output: install.all})
    }
    // each scenario its own content: the control's umask 022 build must not fill the cache the shim's hits
    const source = await gitRepo(path.join(root, `${name}-source`), {
      'Dockerfile': `FROM ${engine.baseImage}\nCOPY app /app/\nRUN head -c 16 /dev/urandom | od -An -tx1 > /fresh\n`,
      'app/hello.txt': `hello ${name} ${Date.now()}\n`,
      'app/bin/tool.sh': '#!/bin/sh\necho tool\n',
      'compose.yaml': `services:\n  app:\n    image: dbuild-clients-${name}:latest\n    build:\n      context: .\n      network: host\n`,
    }, ['app/bin/tool.sh'])
    return {env, source}
  }

  const composeBuild = async (env: NodeJS.ProcessEnv, dir: string, name: string) => {
    const build = await execa('docker', ['compose', '--progress', 'plain', 'build'], {cwd: dir, env, extendEnv: false, reject: false, all: true, timeout: 300_000})
    const id = await execa('docker', ['image', 'inspect', '--format', '{{.Id}}', `dbuild-clients-${name}:latest`], {env, extendEnv: false, reject: false})
    return {exitCode: build.exitCode ?? 1, output: build.all ?? '', id: id.stdout.trim()}
  }

  for (const shim of [true, false]) {
    const name = shim ? 'compose-shim' : 'compose-control'
    t.test(`docker compose build ${shim ? 'through the shim' : 'without it (the control)'}: umask 022, then 002`, async (t) => {
      const {env, source} = await setup(name, shim)
      const first = await composeBuild(env, await cloneUnderUmask(source, path.join(root, `${name}-022`), '022'), name)
      t.equal(first.exitCode, 0, 'the umask 022 clone builds', {output: first.output})
      t.match(first.id, /^sha256:/, 'Compose read the image back (its rawjson progress and metadata file)')
      const throughDbuild = first.output.includes(`cache-${name}/bake/`)
      t.equal(throughDbuild, shim, shim ? 'bake read the definition dbuild resolved' : 'bake read the definition Compose gave it')
      const second = await composeBuild(env, await cloneUnderUmask(source, path.join(root, `${name}-002`), '002'), name)
      t.equal(second.exitCode, 0, 'the umask 002 clone builds', {output: second.output})
      const hit = cachedSteps(second.output).some((step) => step.includes('RUN head'))
      if (shim) t.ok(hit, 'through the shim: the umask 002 build hits the cache the umask 022 build filled', {output: second.output})
      else t.notOk(hit, 'without it: the umask 002 build misses (the RUN ran again)', {output: second.output})
    })
  }

  /**
   * build-push-action's command line for a typical workflow step, built the way the action builds it:
   * build-push-action v7.3 (src/context.ts: getArgs = getBuildArgs, getCommonArgs, the context last;
   * getAttestArgs for the provenance input) with @docker/actions-toolkit 0.92 to 0.101 (Build:
   * the iid and metadata files under RUNNER_TEMP/docker-actions-toolkit-*, resolveProvenanceAttrs adds
   * builder-id, resolveAttestationAttrs; Buildx.getCommand prepends `buildx` for the docker CLI), and
   * src/main.ts runs it with BUILDX_METADATA_WARNINGS=true. The step's inputs:
   *   context: .   file: ./Dockerfile   tags: REGISTRY/NAME:latest   labels: org.opencontainers.image.source=…
   *   cache-from: type=registry,ref=REGISTRY/NAME:buildcache   cache-to: type=registry,ref=…,mode=max
   *   provenance: mode=min   load: true   network: host (the test engine has no bridge network)
   * (type=gha caches need the Actions cache service; the test registry stands in for it.)
   */
  const buildPushActionArgv = (inputs: {image: string; runnerTemp: string}): string[] => {
    const toolkitTemp = path.join(inputs.runnerTemp, 'docker-actions-toolkit-a1B2c3')
    mkdirSync(toolkitTemp, {recursive: true})
    const cache = `${engine.registry}/${inputs.image}:buildcache`
    return ['buildx',
      // getBuildArgs, in its order
      'build',
      '--cache-from', `type=registry,ref=${cache}`,
      '--cache-to', `type=registry,ref=${cache},mode=max`,
      '--file', './Dockerfile',
      '--iidfile', path.join(toolkitTemp, 'build-iidfile-0f1e2d3c4b.txt'),
      '--label', 'org.opencontainers.image.source=https://github.com/example/app',
      '--attest', 'type=provenance,mode=min,builder-id=https://github.com/example/app/actions/runs/1/attempts/1',
      '--tag', `${engine.registry}/${inputs.image}:latest`,
      // getCommonArgs
      '--load',
      '--metadata-file', path.join(toolkitTemp, 'build-metadata-5a6b7c8d9e.json'),
      '--network', 'host',
      // inputs.context
      '.']
  }

  const actionBuild = async (env: NodeJS.ProcessEnv, dir: string, name: string) => {
    const args = buildPushActionArgv({image: `dbuild-clients-${name}`, runnerTemp: path.join(root, `${name}-${path.basename(dir)}-runner-temp`)})
    const iidfile = args[args.indexOf('--iidfile') + 1]!
    const metadata = args[args.indexOf('--metadata-file') + 1]!
    const build = await execa('docker', args, {cwd: dir, env: {...env, BUILDX_METADATA_WARNINGS: 'true'}, extendEnv: false, reject: false, all: true, timeout: 300_000})
    // as Build.resolveImageID and resolveMetadata read them
    const iid = existsSync(iidfile) ? readFileSync(iidfile, 'utf8').trim() : ''
    const meta = existsSync(metadata) ? (JSON.parse(readFileSync(metadata, 'utf8')) as Record<string, unknown>) : {}
    return {exitCode: build.exitCode ?? 1, output: build.all ?? '', iid, meta}
  }

  for (const shim of [true, false]) {
    const name = shim ? 'action-shim' : 'action-control'
    t.test(`build-push-action's docker buildx build ${shim ? 'through the shim' : 'without it (the control)'}: umask 022, then 002`, async (t) => {
      // the containerd store: the toolkit adds the provenance attestation where the builder can make one
      const {env, source} = await setup(name, shim, engine.containerd)
      const first = await actionBuild(env, await cloneUnderUmask(source, path.join(root, `${name}-022`), '022'), name)
      t.equal(first.exitCode, 0, 'the umask 022 clone builds', {output: first.output})
      t.match(first.iid, /^sha256:[0-9a-f]{64}$/, '--iidfile: the image id the action reads')
      t.match(first.meta, {'containerimage.digest': /^sha256:/, 'buildx.build.ref': /./}, '--metadata-file: what the action reads', {keys: Object.keys(first.meta)})
      const cacheManifest = await fetch(`http://${engine.registry}/v2/dbuild-clients-${name}/manifests/buildcache`, {headers: {accept: 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json'}})
      t.equal(cacheManifest.status, 200, '--cache-to: the registry cache was pushed')
      const second = await actionBuild(env, await cloneUnderUmask(source, path.join(root, `${name}-002`), '002'), name)
      t.equal(second.exitCode, 0, 'the umask 002 clone builds', {output: second.output})
      const hit = cachedSteps(second.output).some((step) => step.includes('RUN head'))
      if (shim) t.ok(hit, 'through the shim: the umask 002 build hits the cache the umask 022 build filled', {output: second.output})
      else t.notOk(hit, 'without it: the umask 002 build misses (the RUN ran again)', {output: second.output})
    })
  }
}
