/**
 * Frontend and helper images that come from Docker Hub, for the probes: a probe build pulls
 * each image from where the build pulls it. The base image exists only in the test registry under
 * a mirror name; its Docker Hub name cannot be resolved here (no network). With the mirror in
 * .dbuild.json, link-chown's probe reads the users from the mirrored image; without it (or with
 * image-mirror set to warn, off or skipped) the probe goes to Docker Hub and fails, and says so.
 */
import path from 'node:path'

import t from 'tap'

import {builtinRules} from '../../plugins/index.js'
import type {DbuildConfig} from '../../src/config.js'
import {resolveRules, rewriteDockerfile} from '../../src/rewrite/index.js'
import {type Daemon, useEngine} from '../engine/index.js'
import {dockerOn, gitRepo, tempDir, uniqueName, writeTree} from '../helpers/index.js'
import {hubMirror, pushBase, runDbuild} from '../helpers/mirror.js'

const engine = useEngine(t)

if (engine) {
  const root = tempDir(t)
  const {hubName, hub, mirrors, mirrored} = hubMirror(engine)
  const dockerfile = (name: string) =>
    [`FROM ${name}:1`, 'COPY --link --chown=app:app foo /foo', 'RUN stat -c "owner %u:%g" /foo', ''].join('\n')

  const push = (ref: string, run?: string) => pushBase(t, engine, ref, run)
  const dbuild = (daemon: Daemon, args: string[], cwd: string) => runDbuild(daemon, args, cwd, path.join(root, 'cache'))

  /** The rewrite `dbuild build` runs, with the rules `config` sets up. */
  const rewrite = async (
    daemon: Daemon,
    text: string,
    config: DbuildConfig,
    cacheDir = path.join(root, uniqueName('probes')),
    buildArgs?: Record<string, string>,
  ) => {
    const context = path.join(root, uniqueName('ctx'))
    writeTree(context, {foo: 'hi\n'})
    return rewriteDockerfile(await resolveRules(builtinRules, config), {
      text,
      file: 'Dockerfile',
      config,
      ...(buildArgs ? {buildArgs} : {}),
      docker: {contextDir: context, env: daemon.env, network: 'host'},
      cacheDir,
    })
  }
  const chownFinding = (result: Awaited<ReturnType<typeof rewrite>>) => result.findings.find((f) => f.ruleId === 'link-chown')

  t.before(() => push(mirrored(hubName)))

  t.test(
    'dbuild build on the containerd store: the probe reads the users from the mirror, the build gets numeric IDs',
    {timeout: 180_000},
    async (t) => {
      const repo = await gitRepo(path.join(root, uniqueName('mirrored')), {
        Dockerfile: dockerfile(hubName),
        foo: 'hi\n',
        '.dbuild.json': JSON.stringify({mirrors}),
      })
      const run = await dbuild(engine.containerd, ['build', '--network=host', '--progress=plain', '--no-cache', '.'], repo)
      t.equal(run.exitCode, 0, 'builds', {output: run.output})
      t.match(run.output, /owner 1000:1000/, "the file belongs to the mirrored image's user app")
      t.match(run.output, /link-chown.*1000:1000/, 'link-chown says what it rewrote')
      t.notMatch(run.output, /registry-1\.docker\.io/, 'nothing asked Docker Hub')

      const result = await rewrite(engine.containerd, dockerfile(hubName), {mirrors})
      t.equal(
        result.text,
        [`FROM ${mirrored(hubName)}`, 'COPY --link --chown=1000:1000 foo /foo', 'RUN stat -c "owner %u:%g" /foo', ''].join('\n'),
        'the rewritten Dockerfile',
      )
    },
  )

  t.test('the control, no mirror: the probe asks Docker Hub, fails, and the build says so (no hang)', {timeout: 120_000}, async (t) => {
    const repo = await gitRepo(path.join(root, uniqueName('unmirrored')), {Dockerfile: dockerfile(hubName), foo: 'hi\n'})
    const plain = await dockerOn(engine.containerd, ['buildx', 'build', '--network=host', '--progress=plain', '.'], {cwd: repo})
    t.not(plain.exitCode, 0, 'plain buildx cannot pull the Docker Hub name either')
    const run = await dbuild(engine.containerd, ['build', '--network=host', '--progress=plain', '.'], repo)
    t.not(run.exitCode, 0, 'fails as plain buildx does')
    t.match(run.output, /link-chown.*the probe build failed.*registry-1\.docker\.io/, 'the link-chown finding names the probe failure')
  })

  t.test(
    'image-mirror set to warn or off, or skipped by # check=skip=: the build is not mirrored, so the probe is not',
    {timeout: 120_000},
    async (t) => {
      const off: [string, string, DbuildConfig][] = [
        ['warn', dockerfile(hubName), {mirrors, rules: {'image-mirror': 'warn'}}],
        ['off', dockerfile(hubName), {mirrors, rules: {'image-mirror': 'off'}}],
        ['# check=skip=ImageMirror', `# check=skip=ImageMirror\n${dockerfile(hubName)}`, {mirrors}],
      ]
      for (const [name, text, config] of off) {
        const result = await rewrite(engine.containerd, text, config)
        t.match(result.text, `FROM ${hubName}:1\n`, `${name}: FROM is not mirrored`)
        t.match(
          chownFinding(result),
          {fix: undefined, message: /the probe build failed.*docker\.io\/library\//},
          `${name}: the probe went to Docker Hub`,
        )
      }
      const silenced = await rewrite(engine.containerd, `# dbuild ignore=image-mirror\n${dockerfile(hubName)}`, {mirrors})
      t.match(silenced.text, `FROM ${hubName}:1\n`, '# dbuild ignore=image-mirror on the FROM line: not mirrored')
      t.match(chownFinding(silenced), {fix: undefined, message: /the probe build failed/}, 'and not in the probe either')
    },
  )

  t.test(
    'the frontend --build-arg BUILDKIT_SYNTAX picks: the probe gets the mirrored value, as buildx does',
    {timeout: 120_000},
    async (t) => {
      // no frontend image is in the test registry: the probe fails, but on the mirror, never on Docker Hub
      const result = await rewrite(engine.containerd, dockerfile(hubName), {mirrors}, undefined, {BUILDKIT_SYNTAX: 'docker/dockerfile:1.7'})
      t.same(result.buildArgs, {BUILDKIT_SYNTAX: `${hub}/docker/dockerfile:1.7`}, 'the build gets the mirrored frontend')
      const finding = chownFinding(result)
      t.match(finding, {fix: undefined, message: /the probe build failed/}, 'no frontend on the mirror')
      t.match(finding?.message, `${hub}/docker/dockerfile:1.7`, 'the probe asked the mirror for the frontend')
      t.notMatch(finding?.message, /registry-1\.docker\.io/, 'not Docker Hub')
    },
  )

  t.test('a cached probe answer is keyed on the mirrored references', {timeout: 180_000}, async (t) => {
    // on the graphdriver store the builder takes a local image for FROM: the Hub name has one
    // answer there (app = 1000) and its mirror another (app = 1234)
    const local = uniqueName('dbuild-hub-local')
    const tagged = await dockerOn(engine.graphdriver, ['tag', engine.baseImage, `${local}:1`])
    t.equal(tagged.exitCode, 0, 'local tag', {output: tagged.output})
    t.teardown(() => dockerOn(engine.graphdriver, ['image', 'rm', '-f', `${local}:1`]).then(() => undefined))
    await push(
      mirrored(local),
      "sed -i 's/^app:x:1000:1000:/app:x:1234:1234:/' /etc/passwd && sed -i 's/^app:x:1000:/app:x:1234:/' /etc/group",
    )

    const cacheDir = path.join(root, uniqueName('shared-probes'))
    const chown = async (config: DbuildConfig) =>
      /--chown=(\S+)/.exec((await rewrite(engine.graphdriver, dockerfile(local), config, cacheDir)).text)?.[1]
    t.equal(await chown({}), '1000:1000', 'unmirrored: the local image')
    t.equal(await chown({mirrors}), '1234:1234', 'mirrored: the mirror, not the cached unmirrored answer')
    t.equal(await chown({}), '1000:1000', 'unmirrored again: the first answer')
  })
}
