/**
 * A named build context is no image: with a docker.io mirror in .dbuild.json, `FROM base` and
 * `COPY --from=src_dir` where `--build-context base=DIR` / `src_dir=DIR` (bake: a target's
 * `contexts`) must stay as written, or BuildKit pulls <mirror>/library/src_dir and the build fails
 * where plain buildx builds (IceCodeNew/docker-collections builds that way). Both stores, with
 * plain buildx as the control, and the two images compared.
 */
import path from 'node:path'

import t, {type Test} from 'tap'

import {type Daemon, useEngine} from '../engine/index.js'
import {dockerOn, gitRepo, tempDir, uniqueName} from '../helpers/index.js'
import {runDbuild} from '../helpers/mirror.js'
import {buildBoth, compareImages, readTar} from '../helpers/oracle.js'

const engine = useEngine(t)

/** The oracle's comparison: the same file system as plain buildx, modes after canonicalization; mtimes each build set are its own. */
async function sameImage(t: Test, plain: string, ours: string, started: {plain: number; ours: number}): Promise<void> {
  t.same(compareImages(await readTar(plain), await readTar(ours), {started}), [], 'the same image as plain buildx')
}

if (engine) {
  const root = tempDir(t)
  const mirrors = {'docker.io': `${engine.registry}/${uniqueName('hub')}`}
  const dockerfile = [
    'FROM base',
    'COPY --from=src_dir / /from-dir/',
    'COPY --from=docker.io/library/src_dir:latest hello.txt /again.txt',
    '',
  ].join('\n')
  const files = {
    Dockerfile: dockerfile,
    '.dbuild.json': JSON.stringify({mirrors}),
    'base/etc/base.txt': 'base\n',
    'src/hello.txt': 'hello\n',
    'src/sub/deep.txt': 'deep\n',
    'docker-bake.hcl': 'target "default" {\n  context = "."\n  contexts = { base = "base", src_dir = "src" }\n}\n',
  }

  for (const store of ['graphdriver', 'containerd'] as const) {
    t.test(`build --build-context with a docker.io mirror, ${store} store`, {timeout: 180_000}, async (t) => {
      const daemon: Daemon = engine[store]
      const repo = await gitRepo(path.join(root, uniqueName(`repo-${store}`)), files)
      const both = await buildBoth(daemon, {dir: repo, args: ['--build-context', 'base=base', '--build-context', 'src_dir=src']})
      t.equal(both.plain.exitCode, 0, 'the control: plain buildx builds it', {output: both.plain.output})
      t.equal(both.ours.exitCode, 0, 'dbuild builds it too', {output: both.ours.output})
      t.notMatch(both.ours.output, new RegExp(`${mirrors['docker.io']}/library/(src_dir|base)`), 'no named context was taken for an image')
      t.same(both.differences, [], 'the same image as plain buildx')
    })

    t.test(`bake with a target's contexts and a docker.io mirror, ${store} store`, {timeout: 180_000}, async (t) => {
      const daemon: Daemon = engine[store]
      const repo = await gitRepo(path.join(root, uniqueName(`bake-${store}`)), files)
      const tars = {plain: path.join(root, uniqueName('plain') + '.tar'), ours: path.join(root, uniqueName('ours') + '.tar')}
      const started = {plain: Date.now() / 1000, ours: 0}
      const plain = await dockerOn(daemon, ['buildx', 'bake', '--progress=plain', '--set', `default.output=type=tar,dest=${tars.plain}`], {
        cwd: repo,
      })
      t.equal(plain.exitCode, 0, 'the control: plain bake builds it', {output: plain.output})
      started.ours = Date.now() / 1000
      const ours = await runDbuild(
        daemon,
        ['bake', '--progress=plain', '--set', `default.output=type=tar,dest=${tars.ours}`],
        repo,
        path.join(root, 'cache'),
      )
      t.equal(ours.exitCode, 0, 'dbuild bake builds it too', {output: ours.output})
      await sameImage(t, tars.plain, tars.ours, started)
    })
  }

  t.test('lint and rewrite take --build-context: the named contexts are left alone, images still mirrored', async (t) => {
    const repo = await gitRepo(path.join(root, uniqueName('lint')), {...files, Dockerfile: `FROM ${'alpine:3.20'} AS tools\n${dockerfile}`})
    const lint = await runDbuild(
      engine.graphdriver,
      ['lint', '--build-context', 'base=base', '--build-context', 'src_dir=src', 'Dockerfile'],
      repo,
      path.join(root, 'cache'),
    )
    t.equal(lint.exitCode, 0, 'lint', {output: lint.output})
    t.match(lint.output, /FROM alpine:3\.20 → \S+\/library\/alpine:3\.20/, 'an image is still mirrored')
    t.notMatch(lint.output, /→ \S+\/library\/(src_dir|base)/, 'no named context is mirrored')
    const rewrite = await runDbuild(
      engine.graphdriver,
      ['rewrite', '--no-probe', '--build-context', 'base=base', '--build-context', 'src_dir=src', '.'],
      repo,
      path.join(root, 'cache'),
    )
    t.equal(rewrite.exitCode, 0, 'rewrite', {output: rewrite.output})
    t.match(rewrite.output, new RegExp(`\n${dockerfile.trimEnd().replaceAll('.', '\\.')}`), 'the named contexts stay as written')
  })
}
