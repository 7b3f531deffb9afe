/**
 * `dbuild bake` on the real engine, for what build already does per image: the context digest as the
 * manifest annotation dev.dbuild.context.digest on each target's image (read back from the registry),
 * and the frontend a target's BUILDKIT_SYNTAX arg picks, through the mirrors of .dbuild.json.
 */
import path from 'node:path'

import {execa} from 'execa'
import t from 'tap'

import {CONTEXT_DIGEST_ANNOTATION} from '../../src/pipeline/manifest.js'
import {type Daemon, ROOT, useEngine} from '../engine/index.js'
import {dockerOn, gitRepo, tempDir, uniqueName} from '../helpers/index.js'

const BIN = path.join(ROOT, 'bin', 'run.js')
const engine = useEngine(t)

interface Manifest {
  mediaType?: string
  manifests?: Array<{digest: string; platform?: {os: string}}>
  annotations?: Record<string, string>
}

if (engine) {
  const root = tempDir(t, 'dbuild-bake-pipeline-')
  const cacheDir = path.join(root, 'cache')

  const dbuildOn = async (daemon: Daemon, args: string[], cwd: string, extra: NodeJS.ProcessEnv = {}) => {
    const env: NodeJS.ProcessEnv = {...daemon.env, DBUILD_CACHE_DIR: cacheDir, NO_COLOR: '1', ...extra}
    if (!('CI' in extra)) delete env.CI
    const result = await execa(process.execPath, [BIN, ...args], {cwd, env, extendEnv: false, reject: false, all: true})
    return {exitCode: result.exitCode ?? 1, output: result.all ?? '', stdout: result.stdout ?? ''}
  }

  /** The image manifest's annotations as the registry holds them, read with `docker buildx imagetools inspect --raw`. */
  const pushedAnnotations = async (daemon: Daemon, ref: string): Promise<Record<string, string>> => {
    const inspect = async (name: string) => {
      const raw = await dockerOn(daemon, ['buildx', 'imagetools', 'inspect', '--raw', name])
      if (raw.exitCode !== 0) throw new Error(`imagetools inspect ${name}: ${raw.output}`)
      return JSON.parse(raw.output) as Manifest
    }
    const top = await inspect(ref)
    // an index (the containerd store adds an attestation manifest): the image's own manifest is the one with a platform
    const image = top.manifests?.find((entry) => entry.platform?.os !== 'unknown')
    if (!image) return top.annotations ?? {}
    return (await inspect(`${ref.slice(0, ref.lastIndexOf(':'))}@${image.digest}`)).annotations ?? {}
  }

  const bakeFile = (images: {one: string; two: string}) => `
group "default" { targets = ["one", "two"] }
target "one" {
  context = "one"
  annotations = ["manifest:org.opencontainers.image.title=one"]
  output = ["type=image,name=${images.one},push=true"]
}
target "two" {
  context = "two"
  output = ["type=image,name=${images.two},push=true"]
}
`

  t.test("each target's image carries its own context digest as a manifest annotation, as build's does", async (t) => {
    const images = {
      one: `${engine.registry}/${uniqueName('dbuild-bake-one')}:ci`,
      two: `${engine.registry}/${uniqueName('dbuild-bake-two')}:ci`,
    }
    const checkout = await gitRepo(path.join(root, 'annotate'), {
      'docker-bake.hcl': bakeFile(images),
      'one/Dockerfile': `FROM ${engine.baseImage}\nCOPY one.txt /one.txt\n`,
      'one/one.txt': `${uniqueName('one')}\n`,
      'two/Dockerfile': `FROM ${engine.baseImage}\nCOPY two.txt /two.txt\n`,
      'two/two.txt': `${uniqueName('two')}\n`,
    })
    // CI writes each target's manifest (and so has its digest) without --manifest
    const ours = await dbuildOn(engine.containerd, ['bake', '--progress=plain'], checkout, {CI: 'true'})
    t.equal(ours.exitCode, 0, 'dbuild bake builds and pushes both targets', {output: ours.output})
    const digests = Object.fromEntries(
      ['one', 'two'].map((target) => [target, new RegExp(`target ${target}: context digest (sha256:[0-9a-f]{64})`).exec(ours.output)?.[1]]),
    )
    t.ok(digests.one && digests.two && digests.one !== digests.two, 'two contexts, two digests', digests)
    t.same(
      await pushedAnnotations(engine.containerd, images.one),
      {[CONTEXT_DIGEST_ANNOTATION]: digests.one, 'org.opencontainers.image.title': 'one'},
      "target one's image: its digest, and the target's own annotation kept",
    )
    t.same(
      await pushedAnnotations(engine.containerd, images.two),
      {[CONTEXT_DIGEST_ANNOTATION]: digests.two},
      "target two's image: its own digest",
    )

    // the graphdriver store pushes Docker v2 manifests, which hold no annotations: dropped, nothing fails
    const plainImages = {
      one: `${engine.registry}/${uniqueName('dbuild-bake-gd-one')}:ci`,
      two: `${engine.registry}/${uniqueName('dbuild-bake-gd-two')}:ci`,
    }
    const graphdriver = await dbuildOn(
      engine.graphdriver,
      [
        'bake',
        '--progress=plain',
        '--set',
        `one.output=type=image,name=${plainImages.one},push=true`,
        '--set',
        `two.output=type=image,name=${plainImages.two},push=true`,
      ],
      checkout,
      {CI: 'true'},
    )
    t.equal(graphdriver.exitCode, 0, 'the graphdriver store builds and pushes too', {output: graphdriver.output})
    t.same(await pushedAnnotations(engine.graphdriver, plainImages.two), {}, 'where the manifest cannot hold one, there is none')

    // no manifest written, no digest: the targets' annotations are the user's
    const printed = await dbuildOn(engine.containerd, ['bake', '--print'], checkout)
    t.equal(printed.exitCode, 0, printed.output)
    const definition = JSON.parse(printed.stdout) as {target: Record<string, {annotations?: string[]}>}
    t.same(
      definition.target.one?.annotations,
      ['manifest:org.opencontainers.image.title=one'],
      'outside CI and without --manifest: nothing added',
    )
    t.equal(definition.target.two?.annotations, undefined)
  })

  t.test("a target's BUILDKIT_SYNTAX arg goes through the mirror: BuildKit asks the mirror, never Docker Hub", async (t) => {
    const mirror = `${engine.registry}/${uniqueName('mirror')}/dockerfile`
    const checkout = await gitRepo(path.join(root, 'syntax'), {
      '.dbuild.json': JSON.stringify({mirrors: {'docker.io/docker/dockerfile': mirror}}),
      'docker-bake.hcl': `
target "pinned" {
  args = { BUILDKIT_SYNTAX = "docker/dockerfile:1.7", OTHER = "docker/dockerfile:1.7" }
  output = ["type=cacheonly"]
}
target "builtin" {
  output = ["type=cacheonly"]
}
`,
      Dockerfile: '# syntax=docker/dockerfile:1.5\nFROM scratch\n',
    })
    const printed = await dbuildOn(engine.graphdriver, ['bake', '--print', 'pinned', 'builtin'], checkout)
    t.equal(printed.exitCode, 0, printed.output)
    const definition = JSON.parse(printed.stdout) as {target: Record<string, {args?: Record<string, string>}>}
    t.same(
      definition.target.pinned?.args,
      {BUILDKIT_SYNTAX: `${mirror}:1.7`, OTHER: 'docker/dockerfile:1.7'},
      'the frontend arg is mirrored, another arg is not',
    )
    t.equal(definition.target.builtin?.args, undefined, 'a target without the arg gets none')
    t.match(printed.output, /target pinned: .*--build-arg BUILDKIT_SYNTAX=docker\/dockerfile:1\.7 → .*\(fixed\)/)

    // the control: plain bake asks Docker Hub (unreachable here); dbuild's asks the mirror, where no frontend is pushed
    const plain = await dockerOn(engine.graphdriver, ['buildx', 'bake', '--progress=plain', 'pinned'], {cwd: checkout})
    t.not(plain.exitCode, 0, 'plain bake cannot pull the frontend')
    // Which image BuildKit resolves, not how a buildx version words it (0.13 echoes the arg, 0.29 names the image it resolves).
    t.match(plain.output, /docker\/dockerfile:1\.7/, 'plain bake: the frontend from Docker Hub')
    t.notMatch(plain.output, mirror)
    const ours = await dbuildOn(engine.graphdriver, ['bake', '--progress=plain', 'pinned'], checkout)
    t.not(ours.exitCode, 0, 'no frontend image in the test mirror')
    t.match(ours.output, `${mirror}:1.7`, 'dbuild bake: BuildKit resolved the frontend on the mirror')
    t.notMatch(ours.output, /registry-1\.docker\.io/, 'and never asked Docker Hub')
  })
}
