/**
 * A cache that cannot be written (a read-only bind mount) while a rule rewrites the Dockerfile: the
 * build sends the context as it is and still gets its rewritten copy, from a temp directory removed
 * when dbuild exits; where the temp directory cannot be written either, buildx reads the user's
 * Dockerfile as plain buildx would. Each image is compared with plain buildx's. Old copies of other
 * Dockerfiles are removed from a writable cache after a week.
 */
import {chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, utimesSync} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'
import t, {type Test} from 'tap'

import {ROOT, useEngine} from '../engine/index.js'
import {tempDir, writeTree} from '../helpers/index.js'
import {buildTar, compareBuilds, readTar} from '../helpers/oracle.js'

const engine = useEngine(t)

/** A read-only bind mount of a fresh directory, for the test's length (the tests run as root, as CI does). */
async function readOnlyDir(t: Test, dir: string): Promise<string> {
  mkdirSync(dir, {recursive: true})
  await execa('mount', ['--bind', dir, dir])
  t.teardown(() => execa('umount', ['-l', dir], {reject: false}))
  await execa('mount', ['-o', 'remount,bind,ro', dir])
  return dir
}

/** dbuild's own directories in TMPDIR (Node 22 and later keep their compile cache there too). */
const ownTempDirs = (tmp: string) => readdirSync(tmp).filter((name) => name.startsWith('dbuild-'))

/** A context that needs a stage (a group-writable file) and whose Dockerfile link-chown rewrites. */
function contextFor(dir: string, baseImage: string): string {
  writeTree(dir, {
    foo: 'hi\n',
    '.dbuild.json': JSON.stringify({users: {alice: '1001:1001'}}),
    Dockerfile: [
      `FROM ${baseImage}`,
      "RUN echo 'alice:x:1001:1001::/:/bin/sh' >> /etc/passwd && echo 'alice:x:1001:' >> /etc/group",
      'COPY --link --chown=alice foo /owned',
      '',
    ].join('\n'),
  })
  chmodSync(path.join(dir, 'foo'), 0o664)
  return dir
}

if (engine) {
  const isRoot = process.getuid?.() === 0

  /** A work directory with the context, a dbuild cache on a read-only mount and an empty TMPDIR. */
  const readOnlyCache = async (t: Test, prefix: string) => {
    const work = tempDir(t, prefix)
    const context = contextFor(path.join(work, 'context'), engine.baseImage)
    const cacheDir = path.join(await readOnlyDir(t, path.join(work, 'ro-cache')), 'dbuild')
    const tmp = path.join(work, 'tmp')
    mkdirSync(tmp)
    return {work, context, cacheDir, tmp}
  }
  t.test(
    'a read-only cache and a rewritten Dockerfile: the build completes, as plain buildx does',
    {skip: isRoot ? false : 'a bind mount needs root'},
    async (t) => {
      const {work, context, cacheDir, tmp} = await readOnlyCache(t, 'dbuild-ro-rewrite-')
      const plain = await buildTar('plain', engine.graphdriver, {dir: context}, work)
      t.equal(plain.exitCode, 0, 'plain buildx builds it', {output: plain.output})
      const ours = await buildTar('dbuild', engine.graphdriver, {dir: context, cacheDir, env: {TMPDIR: tmp}}, work)
      t.same(compareBuilds(plain, ours), [], 'the same image as plain buildx')
      t.match(
        ours.output,
        /cannot write the Dockerfile copy: EROFS/,
        'the warning names why the copy could not be written: a read-only file system, not a missing directory',
      )
      t.notMatch(ours.output, /ENOENT/)
      t.match(
        ours.output,
        /the rewritten Dockerfile goes to buildx from .*\/dbuild-[^/]+\/dockerfile-/,
        'the copy came from a temp directory',
      )
      t.match(ours.output, /link-chown.*\(fixed\)/, 'and it was rewritten')
      t.same(ownTempDirs(tmp), [], 'the temp copy is gone when dbuild exits')
      t.equal(ours.entries.find((entry) => entry.path === 'owned')?.uid, 1001)

      // nowhere to write a copy at all: buildx reads the user's Dockerfile, as plain buildx does
      const roTmp = await readOnlyDir(t, path.join(work, 'ro-tmp'))
      const unrewritten = await buildTar('dbuild', engine.graphdriver, {dir: context, cacheDir, env: {TMPDIR: roTmp}}, work)
      t.same(compareBuilds(plain, unrewritten), [], 'the same image as plain buildx, without the rewrite')
      t.match(unrewritten.output, /buildx reads .*Dockerfile as it is, without dbuild's rewrites/)
    },
  )

  t.test(
    'a read-only cache under bake: the definition and the rewritten copy come from a temp directory',
    {skip: isRoot ? false : 'a bind mount needs root'},
    async (t) => {
      const {work, context, cacheDir, tmp} = await readOnlyCache(t, 'dbuild-ro-bake-')
      writeTree(context, {
        'docker-bake.hcl': 'target "app" {\n  context = "."\n}\n',
        // no RUN: buildx 0.13's bake has no `network` key, and the test daemons have no bridge; the base image has app (1000:1000)
        '.dbuild.json': JSON.stringify({users: {app: '1000:1000'}}),
        Dockerfile: `FROM ${engine.baseImage}\nCOPY --link --chown=app foo /owned\n`,
      })
      const bake = async (command: string[], dest: string, env: NodeJS.ProcessEnv = {}) => {
        const started = Date.now() / 1000
        const result = await execa(
          command[0]!,
          [...command.slice(1), 'bake', '--progress=plain', '--no-cache', '--set', `app.output=type=tar,dest=${dest}`, 'app'],
          {
            cwd: context,
            env: {...engine.graphdriver.env, ...env},
            reject: false,
            all: true,
          },
        )
        return {
          exitCode: result.exitCode ?? 1,
          output: result.all ?? '',
          entries: result.exitCode === 0 ? await readTar(dest) : [],
          started,
        }
      }
      const plain = await bake(['docker', 'buildx'], path.join(work, 'plain.tar'))
      t.equal(plain.exitCode, 0, 'plain bake builds it', {output: plain.output})
      const ours = await bake([process.execPath, path.join(ROOT, 'bin', 'run.js')], path.join(work, 'ours.tar'), {
        DBUILD_CACHE_DIR: cacheDir,
        TMPDIR: tmp,
      })
      t.same(compareBuilds(plain, ours), [], 'the same image as plain bake')
      t.match(ours.output, /cannot write the definition bake runs \(EROFS\)/)
      t.match(ours.output, /link-chown.*\(fixed\)/, 'rewritten')
      t.same(ownTempDirs(tmp), [], 'the temp directory is gone when dbuild exits')
    },
  )

  t.test('copies of a Dockerfile not built for a week are removed; the others stay', async (t) => {
    const work = tempDir(t, 'dbuild-old-copies-')
    const context = contextFor(path.join(work, 'context'), engine.baseImage)
    const cacheDir = path.join(work, 'cache')
    const run = (extra: string) =>
      execa(process.execPath, [path.join(ROOT, 'bin', 'run.js'), 'build', '--dry-run', '--build-arg', `X=${extra}`, context], {
        env: {...engine.graphdriver.env, DBUILD_CACHE_DIR: cacheDir},
        cwd: context,
      })
    const copies = () =>
      readdirSync(path.join(cacheDir, 'stage'), {recursive: true}).filter((name) => /dockerfile-[0-9a-f]{24}$/.test(String(name)))
    await run('1')
    writeTree(context, {Dockerfile: 'FROM scratch\nCOPY --link --chown=alice foo /edited\n'})
    await run('2')
    const [edited, older] = copies()
      .map((name) => path.join(cacheDir, 'stage', String(name)))
      .sort(
        (a, b) =>
          Number(readFileSync(path.join(b, 'Dockerfile'), 'utf8').includes('/edited')) -
          Number(readFileSync(path.join(a, 'Dockerfile'), 'utf8').includes('/edited')),
      )
    t.equal(copies().length, 2, 'one copy per Dockerfile content')
    const weekAgo = new Date(Date.now() - 8 * 24 * 3600 * 1000)
    for (const copy of [edited!, older!]) utimesSync(path.join(copy, 'Dockerfile'), weekAgo, weekAgo)
    await run('3')
    t.equal(copies().length, 1, 'the copy not written for a week went; the one in use stays')
    t.ok(existsSync(path.join(edited!, 'Dockerfile')), 'the copy this build used stays')
    t.notOk(existsSync(older!), 'the copy of the Dockerfile before the edit is gone')
  })
}
