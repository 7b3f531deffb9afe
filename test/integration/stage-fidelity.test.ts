/**
 * The stage against plain buildx on the real engine, both image stores: a content change that keeps
 * size and mtime, hard links (some left out by .dockerignore), an mtime in the last nanosecond of
 * its second, a sparse file, and a cache that is full or read-only. Each image must equal plain
 * buildx's (test/helpers/oracle.ts: modes after canonicalization).
 */
import {createHash} from 'node:crypto'
import {chmodSync, linkSync, mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {execa} from 'execa'
import t, {type Test} from 'tap'

import {type Daemon, useEngine} from '../engine/index.js'
import {sh, tempDir, writeTree} from '../helpers/index.js'
import {buildBoth, type TarEntry} from '../helpers/oracle.js'

const engine = useEngine(t)
const isRoot = process.getuid?.() === 0

/** A context that needs a stage (one group-writable file, as under umask 002), copied whole into the image. */
function contextOf(dir: string, files: Record<string, string>): string {
  writeTree(dir, {Dockerfile: 'FROM scratch\nCOPY . /ctx/\n', 'umask-002.txt': 'g', ...files})
  chmodSync(path.join(dir, 'umask-002.txt'), 0o664)
  return dir
}

/** The image's entry at `ctx/<rel>`. */
function entryAt(entries: TarEntry[], rel: string): TarEntry | undefined {
  return entries.find((entry) => entry.path === `ctx/${rel}`)
}

/** Mounts for the test's length. */
async function mount(t: Test, args: string[], target: string): Promise<void> {
  mkdirSync(target, {recursive: true})
  await execa('mount', [...args, target])
  t.teardown(() => execa('umount', ['-l', target], {reject: false}))
}

if (engine) {
  const root = tempDir(t, 'dbuild-stage-fidelity-it-')

  for (const daemon of [engine.graphdriver, engine.containerd] satisfies Daemon[]) {
    const at = (name: string) => path.join(root, `${daemon.store}-${name}`)

    t.test(`${daemon.store}: a content change that keeps size and mtime (npm's 1985 mtime) reaches the image`, async (t) => {
      const context = contextOf(at('same-stat'), {'node_modules/pkg/index.js': 'module.exports = 1\n'})
      const file = path.join(context, 'node_modules/pkg/index.js')
      const npmTime = 'touch -d "1985-10-26 08:15:00 UTC"'
      await sh(`${npmTime} ${JSON.stringify(file)}`)
      const cacheDir = at('same-stat-cache')
      // warm: the stage and its record exist, as on a developer's machine
      for (let i = 0; i < 2; i++) {
        const warm = await buildBoth(daemon, {dir: context, cacheDir})
        t.same(warm.differences, [], `warm build ${i}`)
        await sleep(30)
      }
      writeFileSync(file, 'module.exports = 2\n') // npm installs a new version: same size, same 1985 mtime
      await sh(`${npmTime} ${JSON.stringify(file)}`)
      const {plain, ours, differences} = await buildBoth(daemon, {dir: context, cacheDir})
      t.same(differences, [], 'the same image as plain buildx')
      const newBytes = createHash('sha256').update('module.exports = 2\n').digest('hex')
      t.equal(entryAt(plain.entries, 'node_modules/pkg/index.js')?.sha256, newBytes)
      t.equal(entryAt(ours.entries, 'node_modules/pkg/index.js')?.sha256, newBytes, 'the new bytes, not the staged old ones')
    })

    t.test(`${daemon.store}: hard links stay hard links, of the paths .dockerignore leaves in`, async (t) => {
      const context = contextOf(at('hard-links'), {
        '.dockerignore': 'left-out/\n',
        'a/layer.bin': 'x'.repeat(1 << 20),
        'left-out/keep': 'k',
      })
      linkSync(path.join(context, 'a/layer.bin'), path.join(context, 'b.bin'))
      mkdirSync(path.join(context, 'c'))
      linkSync(path.join(context, 'a/layer.bin'), path.join(context, 'c/layer.bin'))
      linkSync(path.join(context, 'a/layer.bin'), path.join(context, 'left-out/layer.bin'))
      const {plain, ours, differences} = await buildBoth(daemon, {dir: context})
      t.same(differences, [], 'the same image, hard links included')
      const links = (entries: TarEntry[]) => entries.filter((entry) => entry.type === 'hardlink').length
      t.equal(links(plain.entries), 2, 'plain buildx sends two of the three paths as links of the first')
      t.equal(links(ours.entries), 2, 'so does dbuild')
    })

    t.test(`${daemon.store}: an mtime a nanosecond short of the half second stays in its second`, async (t) => {
      // the tar exporter rounds to the second (Go's archive/tar); a microsecond copy of .499999999 is .5, which rounds up
      const context = contextOf(at('nanoseconds'), {'late.txt': 'l', 'dir/inner.txt': 'i'})
      await sh('touch -d @1700000007.499999999 late.txt dir/inner.txt && touch -d @1700000008.499999999 dir', {cwd: context})
      const {plain, ours, differences} = await buildBoth(daemon, {dir: context})
      t.same(differences, [], 'the same image, mtimes included')
      t.equal(entryAt(plain.entries, 'late.txt')?.mtime, '1700000007.000000000')
      t.equal(entryAt(ours.entries, 'late.txt')?.mtime, '1700000007.000000000')
    })

    t.test(`${daemon.store}: a sparse file`, async (t) => {
      const context = contextOf(at('sparse'), {})
      const file = path.join(context, 'disk.img')
      await sh(
        `truncate -s 64M ${JSON.stringify(file)} && printf 'data at 32M' | dd of=${JSON.stringify(file)} bs=1 seek=33554432 conv=notrunc status=none`,
      )
      const cacheDir = at('sparse-cache')
      const {differences} = await buildBoth(daemon, {dir: context, cacheDir})
      t.same(differences, [], 'the same image')
      const {stdout} = await execa('sh', ['-c', `find ${JSON.stringify(cacheDir)} -name disk.img -exec stat -c %b {} +`])
      t.ok(Number(stdout.trim()) * 512 < 1 << 20, `the staged copy keeps its holes (${stdout.trim()} blocks)`)
    })

    t.test(
      `${daemon.store}: a full cache or a read-only one: the build goes on as plain buildx's`,
      {skip: isRoot ? false : 'mounting needs root'},
      async (t) => {
        const context = contextOf(at('unwritable'), {})
        writeFileSync(path.join(context, 'big.bin'), Buffer.alloc(3 << 20, 1))
        const full = at('full-cache')
        await mount(t, ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs'], full)
        const onFull = await buildBoth(daemon, {dir: context, cacheDir: full})
        t.same(onFull.differences, [], 'full: the same image as plain buildx (modes as they are)')
        t.match(onFull.ours.output, /cannot write the stage \(ENOSPC\): building from .* as it is, whose modes are not canonical/)
        const left = (await execa('find', [full])).stdout.split('\n')
        t.same(
          left.filter((file) => /\/context(\/|$)|\.scratch|\.lock/.test(file)),
          [],
          'nothing of the stage is left half written',
        )

        const readOnly = at('read-only-cache')
        await mount(t, ['--bind', readOnly], readOnly)
        await execa('mount', ['-o', 'remount,bind,ro', readOnly])
        const onReadOnly = await buildBoth(daemon, {dir: context, cacheDir: path.join(readOnly, 'dbuild')})
        t.same(onReadOnly.differences, [], 'read-only: the same image as plain buildx')
        t.match(onReadOnly.ours.output, /\(EROFS\): building from .* as it is/)
        t.notMatch(onReadOnly.ours.output, /dbuild bug/)
      },
    )
  }
}
