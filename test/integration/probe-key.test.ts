/**
 * A probe answer is keyed on the content of the contexts it reads. A stage that
 * copies the context, and a later `COPY --from=that-stage --exclude=…` that dbuild rewrites from
 * the stage's listing: add a file, rebuild, and the image must have it; the same Dockerfile in
 * another context must build. Before, the cached listing of the first context was reused.
 */
import {existsSync, statSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'
import t from 'tap'

import {ROOT, useEngine} from '../engine/index.js'
import {dockerOn, gitRepo, tempDir, uniqueName, writeTree} from '../helpers/index.js'
import {buildTar, compareBuilds} from '../helpers/oracle.js'

const BIN = path.join(ROOT, 'bin', 'run.js')
const engine = useEngine(t)

if (engine) {
  const root = tempDir(t)
  const env: NodeJS.ProcessEnv = {...engine.graphdriver.env, DBUILD_CACHE_DIR: path.join(root, 'cache'), NO_COLOR: '1'}
  delete env.CI
  const dockerfile = [
    `FROM ${engine.baseImage} AS src`,
    'COPY . /app',
    'FROM scratch',
    'COPY --from=src --exclude=skip /app /app',
    '',
  ].join('\n')
  const build = (dir: string, out: string, extra: string[] = []) =>
    execa(process.execPath, [BIN, 'build', '--network=host', '--progress=plain', ...extra, '--output', `type=local,dest=${out}`, '.'], {
      cwd: dir,
      env,
      reject: false,
      all: true,
    })

  t.test('a file added to the context is in the rebuilt image', async (t) => {
    const dir = await gitRepo(path.join(root, uniqueName('ctx-a')), {Dockerfile: dockerfile, 'a.txt': 'a\n', 'skip/x': 'x\n'})
    const first = await build(dir, path.join(root, 'out-1'))
    t.equal(first.exitCode, 0, 'first build', {output: first.all})
    t.match(first.all, /exclude-root/, 'the line was rewritten from the listing')
    t.ok(existsSync(path.join(root, 'out-1', 'app', 'a.txt')), 'a.txt is there')
    t.notOk(existsSync(path.join(root, 'out-1', 'app', 'skip')), 'skip is excluded')

    writeFileSync(path.join(dir, 'b.txt'), 'b\n')
    const second = await build(dir, path.join(root, 'out-2'))
    t.equal(second.exitCode, 0, 'rebuild', {output: second.all})
    t.ok(existsSync(path.join(root, 'out-2', 'app', 'b.txt')), 'the new file is in the image')
    t.ok(existsSync(path.join(root, 'out-2', 'app', 'a.txt')), 'the old one too')
    t.notOk(existsSync(path.join(root, 'out-2', 'app', 'skip')), 'skip is still excluded')
  })

  t.test('the same Dockerfile in another context builds', async (t) => {
    const dir = await gitRepo(path.join(root, uniqueName('ctx-b')), {Dockerfile: dockerfile, 'c.txt': 'c\n', 'skip/y': 'y\n'})
    const run = await build(dir, path.join(root, 'out-3'))
    t.equal(run.exitCode, 0, 'builds', {output: run.all})
    t.ok(existsSync(path.join(root, 'out-3', 'app', 'c.txt')), "this context's file is there")
    t.notOk(existsSync(path.join(root, 'out-3', 'app', 'a.txt')), "the other context's file is not")
  })

  t.test('a file added to a named build context is in the rebuilt image', async (t) => {
    const extra = path.join(root, uniqueName('extra'))
    writeTree(extra, {'e.txt': 'e\n', 'skip/z': 'z\n'})
    const named = ['FROM scratch AS src', 'COPY --from=extra . /app', 'FROM scratch', 'COPY --from=src --exclude=skip /app /app', ''].join(
      '\n',
    )
    const dir = await gitRepo(path.join(root, uniqueName('ctx-named')), {Dockerfile: named})
    const first = await build(dir, path.join(root, 'out-4'), ['--build-context', `extra=${extra}`])
    t.equal(first.exitCode, 0, 'first build', {output: first.all})
    t.ok(existsSync(path.join(root, 'out-4', 'app', 'e.txt')), 'e.txt is there')
    writeFileSync(path.join(extra, 'f.txt'), 'f\n')
    const second = await build(dir, path.join(root, 'out-5'), ['--build-context', `extra=${extra}`])
    t.equal(second.exitCode, 0, 'rebuild', {output: second.all})
    t.ok(existsSync(path.join(root, 'out-5', 'app', 'f.txt')), 'the file added to the named context is in the image')
    t.notOk(existsSync(path.join(root, 'out-5', 'app', 'skip')), 'skip is excluded')
  })

  t.test('a base image tag that moves is probed again', async (t) => {
    const tag = `${uniqueName('dbuild-probe-base')}:v`
    const tagged = async (marker: string) => {
      const made = await dockerOn(engine.graphdriver, ['buildx', 'build', '--network=host', '--progress=plain', '-t', tag, '-'], {
        input: `FROM ${engine.baseImage}\nRUN mkdir -p /opt && touch /${marker}\n`,
      })
      t.equal(made.exitCode, 0, `base image with /${marker}`, {output: made.output})
    }
    const dockerfile = [`FROM ${tag} AS src`, 'FROM scratch', 'COPY --from=src --exclude=opt / /', ''].join('\n')
    const dir = await gitRepo(path.join(root, uniqueName('ctx-tag')), {Dockerfile: dockerfile})
    await tagged('one')
    const first = await build(dir, path.join(root, 'out-6'))
    t.equal(first.exitCode, 0, 'first build', {output: first.all})
    t.ok(existsSync(path.join(root, 'out-6', 'one')), '/one is there')
    await tagged('two')
    const second = await build(dir, path.join(root, 'out-7'))
    t.equal(second.exitCode, 0, 'rebuild after the tag moved', {output: second.all})
    t.ok(existsSync(path.join(root, 'out-7', 'two')), 'the file of the image the tag names now is there')
    t.teardown(() => dockerOn(engine.graphdriver, ['image', 'rm', '-f', tag]).then(() => undefined))
  })

  t.test('a same-size edit with its mtime set back is probed again (tar x, rsync -a, cp -p)', async (t) => {
    // BuildKit itself sends a file again only when its size or mtime changed (moby/buildkit#2592):
    // a builder holding the earlier transfer from the same client builds the old bytes, plain buildx
    // too. A fresh client (its own buildx state) gets a fresh transfer, and there dbuild's answer
    // must be the new one, not the one its probe cache kept.
    const passwd = (uid: number) => `root:x:0:0::/root:/bin/sh\nbob:x:${uid}:${uid}::/:/bin/sh\n`
    const owned = [`FROM ${engine.baseImage}`, 'COPY passwd /etc/passwd', 'COPY --link --chown=bob foo /owned', ''].join('\n')
    const dir = await gitRepo(path.join(root, uniqueName('ctx-same-size')), {Dockerfile: owned, passwd: passwd(1001), foo: 'x\n'})
    const cacheDir = path.join(root, 'cache')
    const rewrite = (client: string) =>
      execa(process.execPath, [BIN, 'rewrite', '--probe', '.'], {
        cwd: dir,
        env: {...env, DBUILD_CACHE_DIR: cacheDir, DOCKER_CONFIG: engine.dockerConfig(path.join(root, uniqueName(client)))},
        reject: false,
      })
    const before = await rewrite('client-before')
    t.match(before.stdout, /COPY --link --chown=1001:1001 foo \/owned/, 'the probe read bob from the context', {stderr: before.stderr})

    const file = path.join(dir, 'passwd')
    const stats = statSync(file, {bigint: true})
    // the mtime carried over to the nanosecond, as tar x, rsync -a and cp -p carry it
    const reference = path.join(root, uniqueName('passwd-reference'))
    await execa('cp', ['-p', file, reference])
    writeFileSync(file, passwd(1002))
    await execa('touch', ['-r', reference, file])
    t.equal(statSync(file, {bigint: true}).mtimeNs, stats.mtimeNs, 'the same mtime')
    t.equal(statSync(file, {bigint: true}).size, stats.size, 'the same size')

    const after = await rewrite('client-after')
    t.match(after.stdout, /COPY --link --chown=1002:1002 foo \/owned/, 'the edited context is probed again', {stderr: after.stderr})
    const work = tempDir(t)
    const ours = await buildTar('dbuild', engine.graphdriver, {dir, cacheDir}, work)
    const plain = await buildTar('plain', engine.graphdriver, {dir}, work)
    t.equal(plain.entries.find((entry) => entry.path === 'owned')?.uid, 1002, 'plain buildx from a fresh client: the edited passwd')
    t.same(compareBuilds(plain, ours), [], 'dbuild from a fresh client: the same image as plain buildx')
  })
}
