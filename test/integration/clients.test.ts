/**
 * The clients teams really build with, on the current engine, through dbuild's docker-buildx shim
 * and without it (the control): `docker compose build` (Compose runs the buildx binary itself:
 * `bake --file - --progress rawjson --metadata-file …`), build-push-action's `docker buildx build`
 * command line, and `devcontainer build` from npm (`docker buildx build -f <a generated Dockerfile
 * outside the context> --cache-from …`). For each client, under each umask first: one clone of a
 * commit builds and fills the cache, a clone of the same commit under the other umask then hits it
 * through the shim and misses without (its RUN step is CACHED, or runs again). Through the shim,
 * the image the second clone got is the one plain buildx builds from that clone, modes aside: the
 * client runs once more with the shim bypassed and both images' file trees are compared.
 */
import {existsSync, mkdirSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'
import t, {type Test} from 'tap'

import {type Daemon, ROOT, useEngine} from '../engine/index.js'
import {cachedSteps, cloneUnderUmask, gitRepo, tempDir} from '../helpers/index.js'
import {compareImages, readTar} from '../helpers/oracle.js'

const BIN = path.join(ROOT, 'bin', 'run.js')
/** The Dev Containers CLI, a devDependency (one package, no dependencies of its own). */
const DEVCONTAINER = path.join(ROOT, 'node_modules', '@devcontainers', 'cli', 'devcontainer.js')
const engine = useEngine(t)

type Umask = '002' | '022'

interface Built {
  exitCode: number
  output: string
  /** The image the client built, as the daemon that built it names it. */
  image: string
}

interface Client {
  title: string
  /** The daemon the first clone builds on, and the one the second builds on. */
  daemons: [Daemon, Daemon]
  files(scenario: string): Record<string, string>
  build(env: NodeJS.ProcessEnv, dir: string, scenario: string, which: 'first' | 'second'): Promise<Built>
  /** What the client itself reads back from a build: asserted on the first build of each scenario. */
  check(t: Test, built: Built, scenario: string): Promise<void> | void
}

if (engine && engine.flavor !== 'current') t.plan(0, 'Compose 2.40 is in the current engine only')
else if (engine) {
  const root = tempDir(t, 'dbuild-clients-it-')
  const dockerfile = `FROM ${engine.baseImage}\nCOPY app /app/\nRUN head -c 16 /dev/urandom | od -An -tx1 > /fresh\n`
  /** Each scenario its own content: one scenario's first build must not fill the cache another's hits. */
  const appFiles = (scenario: string): Record<string, string> => ({
    Dockerfile: dockerfile,
    'app/hello.txt': `hello ${scenario} ${Date.now()}\n`,
    'app/bin/tool.sh': '#!/bin/sh\necho tool\n',
  })
  const run = async (command: string, args: string[], env: NodeJS.ProcessEnv, cwd: string) => {
    const result = await execa(command, args, {cwd, env, extendEnv: false, reject: false, all: true, timeout: 300_000})
    return {exitCode: result.exitCode ?? 1, output: result.all ?? ''}
  }

  const compose: Client = {
    title: 'docker compose build',
    daemons: [engine.graphdriver, engine.graphdriver],
    files: (scenario) => ({
      ...appFiles(scenario),
      // the test engine has no bridge network: RUN steps use the host's
      'compose.yaml': `services:\n  app:\n    image: dbuild-clients-${scenario}:latest\n    build:\n      context: .\n      network: host\n`,
    }),
    build: async (env, dir, scenario) => ({
      ...(await run('docker', ['compose', '--progress', 'plain', 'build'], env, dir)),
      image: `dbuild-clients-${scenario}:latest`,
    }),
    check: (t, built, scenario) => {
      // Compose 2.40 renders bake's rawjson stream itself (a line that is no solve status is dropped)
      // and reads the metadata file after it: a target missing there fails the build; found, it
      // reports the image built
      t.match(built.output, /^#\d+ \[\d\/\d\] RUN head/m, "Compose rendered the steps from bake's rawjson progress")
      t.match(
        built.output,
        new RegExp(` dbuild-clients-${scenario}:latest\\s+Built$`, 'm'),
        "and read the image from bake's metadata file",
        {output: built.output},
      )
    },
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
    return [
      'buildx',
      // getBuildArgs, in its order
      'build',
      '--cache-from',
      `type=registry,ref=${cache}`,
      '--cache-to',
      `type=registry,ref=${cache},mode=max`,
      '--file',
      './Dockerfile',
      '--iidfile',
      path.join(toolkitTemp, 'build-iidfile-0f1e2d3c4b.txt'),
      '--label',
      'org.opencontainers.image.source=https://github.com/example/app',
      '--attest',
      'type=provenance,mode=min,builder-id=https://github.com/example/app/actions/runs/1/attempts/1',
      '--tag',
      `${engine.registry}/${inputs.image}:latest`,
      // getCommonArgs
      '--load',
      '--metadata-file',
      path.join(toolkitTemp, 'build-metadata-5a6b7c8d9e.json'),
      '--network',
      'host',
      // inputs.context
      '.',
    ]
  }
  const actionRuns = new Map<string, {iid: string; meta: Record<string, unknown>}>()
  const action: Client = {
    title: "build-push-action's docker buildx build",
    // the containerd store: a --load with a provenance attestation needs it
    daemons: [engine.containerd, engine.containerd],
    files: appFiles,
    build: async (env, dir, scenario, which) => {
      const args = buildPushActionArgv({
        image: `dbuild-clients-${scenario}`,
        runnerTemp: path.join(root, `${scenario}-${which}-runner-temp`),
      })
      const iidfile = args[args.indexOf('--iidfile') + 1]!
      const metadata = args[args.indexOf('--metadata-file') + 1]!
      const built = await run('docker', args, {...env, BUILDX_METADATA_WARNINGS: 'true'}, dir)
      // as Build.resolveImageID and resolveMetadata read them
      const iid = existsSync(iidfile) ? readFileSync(iidfile, 'utf8').trim() : ''
      const meta = existsSync(metadata) ? (JSON.parse(readFileSync(metadata, 'utf8')) as Record<string, unknown>) : {}
      actionRuns.set(`${scenario}-${which}`, {iid, meta})
      return {...built, image: `${engine.registry}/dbuild-clients-${scenario}:latest`}
    },
    check: async (t, _built, scenario) => {
      const {iid, meta} = actionRuns.get(`${scenario}-first`)!
      t.match(iid, /^sha256:[0-9a-f]{64}$/, '--iidfile: the image id the action reads')
      t.match(meta, {'containerimage.digest': /^sha256:/, 'buildx.build.ref': /./}, '--metadata-file: what the action reads', {
        keys: Object.keys(meta),
      })
      const cacheManifest = await fetch(`http://${engine.registry}/v2/dbuild-clients-${scenario}/manifests/buildcache`, {
        headers: {
          accept:
            'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json',
        },
      })
      t.equal(cacheManifest.status, 200, '--cache-to: the registry cache was pushed')
    },
  }

  /**
   * `devcontainer build` as a team runs it: a devcontainer.json with a Dockerfile build and
   * `cacheFrom` the image CI pushed; the first clone's build pushes it (with the inline cache the CLI
   * always asks for). Both clones build on one daemon: across two daemons BuildKit's inline cache
   * hits only on the first build of a daemon's life, through dbuild and with plain buildx alike.
   */
  const devcontainer: Client = {
    title: 'devcontainer build',
    daemons: [engine.graphdriver, engine.graphdriver],
    files: (scenario) => ({
      ...appFiles(scenario),
      '.devcontainer/devcontainer.json': `${JSON.stringify(
        {
          name: scenario,
          build: {
            dockerfile: '../Dockerfile',
            context: '..',
            cacheFrom: `${engine.registry}/dbuild-clients-${scenario}:latest`,
            options: ['--network=host'],
          },
        },
        null,
        2,
      )}\n`,
    }),
    build: async (env, dir, scenario, which) => {
      const image = which === 'first' ? `${engine.registry}/dbuild-clients-${scenario}:latest` : `dbuild-clients-${scenario}:local`
      const args = [
        DEVCONTAINER,
        'build',
        '--workspace-folder',
        dir,
        '--user-data-folder',
        path.join(root, `${scenario}-devcontainer-data`),
        '--image-name',
        image,
      ]
      if (which === 'first') args.push('--push')
      const built = await run(process.execPath, args, env, dir)
      // the CLI passes buildx's output on with \r\n line ends and its own timestamps in front of some lines
      return {...built, output: built.output.replaceAll('\r', '').replace(/^\[\d{4}-\d\d-\d\dT[\d:.]+Z\] /gm, ''), image}
    },
    check: (t, built) => {
      t.match(built.output, /"outcome":\s*"success"/, 'devcontainer build reports success')
    },
  }

  /** The image's file tree, as `docker export` writes a container made from it. */
  const exportImage = async (env: NodeJS.ProcessEnv, image: string, file: string) => {
    const created = await execa('docker', ['create', '--network', 'none', image, 'true'], {env, extendEnv: false})
    const id = created.stdout.trim()
    await execa('docker', ['export', '-o', file, id], {env, extendEnv: false})
    await execa('docker', ['rm', id], {env, extendEnv: false})
    return readTar(file)
  }
  // what docker create puts in every container, and the RUN step's random bytes
  const notTheImage = new Set(['.dockerenv', 'etc/hostname', 'etc/hosts', 'etc/resolv.conf', 'dev', 'proc', 'sys', 'fresh'])
  const ignore = (at: string) => notTheImage.has(at) || at.startsWith('dev/')

  const orders: Array<[Umask, Umask]> = [
    ['022', '002'],
    ['002', '022'],
  ]
  for (const [key, client] of Object.entries({compose, action, devcontainer})) {
    for (const shim of [true, false]) {
      for (const [first, second] of orders) {
        t.test(`${client.title} ${shim ? 'through the shim' : 'without it (the control)'}: umask ${first}, then ${second}`, async (t) => {
          const scenario = `${key}-${shim ? 'shim' : 'control'}-${first}-${second}`
          // mtimes from here on are the scenario's own: the clones' checkout times (a cache hit keeps
          // the first clone's) and what the builds set
          const started = Math.floor(Date.now() / 1000)
          const dockerConfig = engine.dockerConfig(path.join(root, `docker-config-${scenario}`))
          const envOn = (daemon: Daemon): NodeJS.ProcessEnv => {
            const env: NodeJS.ProcessEnv = {
              ...daemon.env,
              DOCKER_CONFIG: dockerConfig,
              DBUILD_CACHE_DIR: path.join(root, `cache-${scenario}`),
              NO_COLOR: '1',
            }
            delete env.CI
            delete env.DBUILD_BUILDX_SHIM
            return env
          }
          const [firstEnv, secondEnv] = client.daemons.map(envOn) as [NodeJS.ProcessEnv, NodeJS.ProcessEnv]
          if (shim) {
            const install = await execa(process.execPath, [BIN, 'docker', 'install', '--buildx'], {
              env: firstEnv,
              extendEnv: false,
              reject: false,
              all: true,
            })
            t.equal(install.exitCode, 0, 'dbuild docker install --buildx', {output: install.all})
          }
          const source = await gitRepo(path.join(root, `${scenario}-source`), client.files(scenario), ['app/bin/tool.sh'])
          const firstClone = await cloneUnderUmask(source, path.join(root, `${scenario}-${first}`), first)
          const filled = await client.build(firstEnv, firstClone, scenario, 'first')
          t.equal(filled.exitCode, 0, `the umask ${first} clone builds`, {output: filled.output})
          await client.check(t, filled, scenario)
          t.equal(filled.output.includes(`cache-${scenario}/`), shim, shim ? 'through dbuild' : 'the real buildx alone')

          const secondClone = await cloneUnderUmask(source, path.join(root, `${scenario}-${second}`), second)
          const built = await client.build(secondEnv, secondClone, scenario, 'second')
          t.equal(built.exitCode, 0, `the umask ${second} clone builds`, {output: built.output})
          const hit = cachedSteps(built.output).some((step) => step.includes('RUN head'))
          if (shim)
            t.ok(hit, `through the shim: the umask ${second} build hits the cache the umask ${first} build filled`, {output: built.output})
          else t.notOk(hit, `without it: the umask ${second} build misses (the RUN ran again)`, {output: built.output})
          if (!shim || built.exitCode !== 0) return

          const ours = await exportImage(secondEnv, built.image, path.join(root, `${scenario}-ours.tar`))
          const plain = await client.build({...secondEnv, DBUILD_BUILDX_SHIM: '0'}, secondClone, scenario, 'second')
          t.equal(plain.exitCode, 0, 'the same client with the shim bypassed (plain buildx) builds', {output: plain.output})
          const plainImage = await exportImage(secondEnv, plain.image, path.join(root, `${scenario}-plain.tar`))
          t.ok(
            ours.some((entry) => entry.path === 'app/bin/tool.sh'),
            "the image holds the clone's files",
          )
          t.same(
            compareImages(plainImage, ours, {ignore, started: {plain: started, ours: started}}),
            [],
            "the image is plain buildx's, modes aside",
          )
        })
      }
    }
  }
}
