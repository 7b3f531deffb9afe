/**
 * The oracle helper itself: readTar reads what GNU tar and BuildKit write, byte for byte, and
 * buildBoth finds a build equal up to the allowed differences and a deliberate difference.
 */
import {chmodSync, linkSync, mkdirSync, symlinkSync, utimesSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import t from 'tap'

import {useEngine} from '../engine/index.js'
import {sh, tempDir} from './index.js'
import {buildBoth, compareImages, readTar, type TarEntry} from './oracle.js'

const NOT_UTF8 = Buffer.from('caf\xe9', 'latin1')
const LONG = `${'long-directory-name/'.repeat(6)}${'f'.repeat(120)}`

async function sampleTree(root: string): Promise<string> {
  const dir = path.join(root, 'd')
  mkdirSync(path.join(dir, path.dirname(LONG)), {recursive: true})
  writeFileSync(Buffer.concat([Buffer.from(`${dir}/`), NOT_UTF8]), 'x')
  linkSync(Buffer.concat([Buffer.from(`${dir}/`), NOT_UTF8]), path.join(dir, 'hard'))
  symlinkSync('../nowhere', path.join(dir, 'dangling'))
  writeFileSync(path.join(dir, LONG), 'long')
  chmodSync(path.join(dir, LONG), 0o4751)
  await sh(`touch -h -d '2020-01-01 00:00:00.123456789' ${JSON.stringify(path.join(dir, 'hard'))}`)
  return dir
}

const byPath = (entries: TarEntry[]): Map<string, TarEntry> => new Map(entries.map((entry) => [entry.path, entry]))

for (const format of ['pax', 'gnu', 'ustar'] as const) {
  t.test(`readTar reads GNU tar's ${format} format`, async (t) => {
    const root = tempDir(t)
    await sampleTree(root)
    const file = path.join(root, `${format}.tar`)
    // ustar can hold neither a long name nor a name that is not ASCII text in every reader: leave both out
    const only = format === 'ustar' ? 'd/hard d/dangling' : 'd'
    await sh(`tar --format=${format} --owner=1234 --group=5678 --numeric-owner -cf ${file} ${only}`, {cwd: root})
    const entries = byPath(await readTar(file))
    const notUtf8 = `d/${NOT_UTF8.toString('latin1')}`
    const hard = entries.get('d/hard')?.type === 'file' ? entries.get('d/hard') : entries.get(notUtf8)
    t.equal(hard?.sha256, '2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881', 'content hashed')
    t.equal(hard?.uid, 1234, 'uid')
    t.equal(hard?.gid, 5678, 'gid')
    t.equal(
      hard?.mtime,
      format === 'pax' ? '1577836800.123456789' : '1577836800.000000000',
      'mtime exact, nanoseconds where the format has them',
    )
    t.has(entries.get('d/dangling'), {type: 'symlink', linkname: '../nowhere'}, 'symlink and its target')
    if (format === 'ustar') return
    t.ok(entries.has(notUtf8), 'a name that is not UTF-8 keeps its bytes')
    const link = [entries.get(notUtf8), entries.get('d/hard')].find((entry) => entry?.type === 'hardlink')
    t.equal(link?.type, 'hardlink', 'one of the two names is a hard link')
    t.ok(link?.linkname === notUtf8 || link?.linkname === 'd/hard', 'to the other', {linkname: link?.linkname})
    t.has(entries.get(`d/${LONG}`), {type: 'file', size: 4, mode: 0o4751}, 'a long name, its size and its setuid mode')
  })
}

t.test('compareImages: equal up to canonical modes; every other change named', async (t) => {
  const file = (over: Partial<TarEntry> = {}): TarEntry => ({
    path: 'app/f',
    type: 'file',
    typeflag: '0',
    mode: 0o664,
    uid: 0,
    gid: 0,
    uname: '',
    gname: '',
    size: 1,
    sha256: 'aa',
    mtime: '1.000000000',
    devmajor: 0,
    devminor: 0,
    xattrs: {},
    ...over,
  })
  const dev: TarEntry = {...file(), path: 'dev/null', type: 'char', typeflag: '3', size: 0, sha256: undefined, devmajor: 1, devminor: 3}
  t.same(compareImages([file(), dev], [file({mode: 0o644})]), [], 'canonical mode and a dropped device are allowed')
  t.same(compareImages([file({mode: 0o4700})], [file({mode: 0o755})]), [], 'setuid dropped with the canonical mode')
  t.equal(compareImages([file({mode: 0o700})], [file({mode: 0o644})]).length, 1, 'but not the executable bit')
  t.equal(compareImages([file()], [file({mtime: '1.000001000'})]).length, 1, 'mtime to the nanosecond')
  const late = {started: {plain: 100, ours: 200}}
  t.same(compareImages([file({mtime: '150.000000000'})], [file({mtime: '250.000000000'})], late), [], 'mtimes both builds set')
  t.equal(compareImages([file({mtime: '50.000000000'})], [file({mtime: '250.000000000'})], late).length, 1, 'but not a source mtime lost')
  t.equal(compareImages([file()], [file({sha256: 'bb'})]).length, 1, 'content')
  t.equal(compareImages([file()], [file({uid: 1000})]).length, 1, 'owner')
  const a = file({path: 'a'})
  const b = file({path: 'b', type: 'hardlink', typeflag: '1', size: 0, sha256: undefined, linkname: 'a'})
  t.same(
    compareImages([a, b], [a, {...a, path: 'b'}]).map((line) => line.split(':')[0]),
    ['"a"', '"b"'],
    'hard links staged as copies',
  )
  t.same(compareImages([a, b], [a, b]), [], 'the same hard links')
})

const engine = useEngine(t)
if (engine) {
  for (const daemon of [engine.graphdriver, engine.containerd]) {
    t.test(`buildBoth on the ${daemon.store} store`, async (t) => {
      const root = tempDir(t)
      const dir = path.join(root, 'context')
      mkdirSync(path.join(dir, 'sub'), {recursive: true})
      writeFileSync(path.join(dir, 'sub', 'data.txt'), 'data\n')
      writeFileSync(path.join(dir, 'run.sh'), '#!/bin/sh\n')
      chmodSync(path.join(dir, 'sub', 'data.txt'), 0o664)
      chmodSync(path.join(dir, 'run.sh'), 0o700)
      writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${engine.localBaseImage}\nCOPY --link . /app\nCOPY --chown=app run.sh /bin/\n`)
      const same = await buildBoth(daemon, {dir})
      t.equal(same.plain.exitCode, 0, 'plain buildx builds', {output: same.plain.output})
      t.equal(same.ours.exitCode, 0, 'dbuild builds', {output: same.ours.output})
      t.same(same.differences, [], 'the same image up to canonical modes')
      t.equal(byPath(same.plain.entries).get('app/sub/data.txt')?.mode, 0o664, "plain keeps the checkout's mode")
      t.equal(byPath(same.ours.entries).get('app/sub/data.txt')?.mode, 0o644, 'dbuild has the canonical one')

      // A RUN that writes a mode into a file turns the allowed difference into a detected one
      writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${engine.localBaseImage}\nCOPY . /app\nRUN stat -c %a /app/sub/data.txt > /mode\n`)
      const different = await buildBoth(daemon, {dir})
      t.equal(different.ours.exitCode, 0, 'dbuild builds', {output: different.ours.output})
      t.ok(
        different.differences.some((line) => line.startsWith('"mode": content')),
        'the file that differs is named',
        {differences: different.differences},
      )

      // A directory whose children dbuild stages with other modes: on one shared buildx client, the
      // second sync of "the context" kept the directory's time of the first, a false difference
      const old = new Date('2015-01-01T00:00:00Z')
      mkdirSync(path.join(dir, 'kept'))
      writeFileSync(path.join(dir, 'kept', 'f'), 'f\n')
      chmodSync(path.join(dir, 'kept', 'f'), 0o640)
      chmodSync(path.join(dir, 'kept'), 0o750)
      utimesSync(path.join(dir, 'kept', 'f'), old, old)
      utimesSync(path.join(dir, 'kept'), old, old)
      writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\nCOPY . /app/\n')
      const synced = await buildBoth(daemon, {dir})
      t.same(synced.differences, [], 'directory mtimes as in the context, for both builders')
      t.equal(byPath(synced.ours.entries).get('app/kept')?.mtime, `${old.getTime() / 1000}.000000000`, "the context's directory mtime")

      const failing = await buildBoth(daemon, {dir, args: ['--target', 'no-such-stage']})
      t.not(failing.plain.exitCode, 0, 'plain buildx fails on an unknown target')
      t.same(failing.differences, [], 'nothing to compare when plain buildx fails')
    })
  }
}
