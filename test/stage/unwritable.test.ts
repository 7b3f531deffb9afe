/**
 * A cache the stage cannot be written to, made for real: a full file system (a 1 MB tmpfs) and a
 * read-only bind mount. A build never fails where plain buildx builds: prepareContext sends the
 * context as it is, with one warning, and leaves nothing half written; `dbuild stage`, whose job
 * the stage is, says why it cannot (exit 73, with the file system's own error).
 */
import {chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'
import t, {type Test} from 'tap'

import {ExitCode} from '../../src/exit-codes.js'
import {prepareContext, stageContext} from '../../src/stage/index.js'
import {tempDir, writeTree} from '../helpers/index.js'

const root = tempDir(t, 'dbuild-unwritable-')
const isRoot = process.getuid?.() === 0

/** Mounts for the test's length (root only: the tests run as root, as CI does). */
async function mount(args: string[], target: string, t: Test): Promise<void> {
  mkdirSync(target, {recursive: true})
  await execa('mount', [...args, target])
  t.teardown(() => execa('umount', ['-l', target], {reject: false}))
}

/** Every file below `dir` (directories left out). */
function filesBelow(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, {recursive: true, withFileTypes: true})
    .filter((entry) => !entry.isDirectory())
    .map((entry) => path.join(entry.parentPath, entry.name))
}

/** A context that needs a stage (a group-writable file) and holds `bigBytes` of data. */
function contextOf(name: string, bigBytes: number): string {
  const context = path.join(root, name)
  writeTree(context, {Dockerfile: 'FROM scratch\nCOPY . /\n', 'small.txt': 's'})
  writeFileSync(path.join(context, 'big.bin'), Buffer.alloc(bigBytes, 7))
  chmodSync(path.join(context, 'small.txt'), 0o664)
  return context
}

t.test(
  'a full cache: the build sends the context as it is, and the half-written stage goes',
  {skip: isRoot ? false : 'mounting a tmpfs needs root'},
  async (t) => {
    const cache = path.join(root, 'full')
    await mount(['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs'], cache, t)
    const env = {DBUILD_CACHE_DIR: cache}
    const context = contextOf('too-big', 3 << 20)
    const warnings: string[] = []
    const prepared = await prepareContext({context, env, onWarning: (message) => warnings.push(message)})
    t.match(prepared, {
      canonical: false,
      unstaged: {context, warning: /cannot write the stage \(ENOSPC\): building from .* as it is, whose modes are not canonical/},
    })
    t.same(filesBelow(cache), [], 'nothing of the stage is left to fill the disk')
    // so another context still stages in the same cache
    const other = contextOf('fits', 1000)
    const staged = await prepareContext({context: other, env})
    t.ok('stage' in staged, 'a context that fits is staged')

    const error = await stageContext({context, env}).catch((failure: unknown) => failure)
    t.match(error, {exit: ExitCode.CANT_CREATE, message: /cannot write the stage \(ENOSPC\)/}, 'dbuild stage says why')
  },
)

t.test(
  'a read-only cache: the build sends the context as it is; dbuild stage names EROFS',
  {skip: isRoot ? false : 'a bind mount needs root'},
  async (t) => {
    const cache = path.join(root, 'read-only')
    mkdirSync(cache)
    await mount(['--bind', cache], cache, t)
    await execa('mount', ['-o', 'remount,bind,ro', cache])
    const env = {DBUILD_CACHE_DIR: path.join(cache, 'dbuild')}
    const context = contextOf('ro', 100)
    const prepared = await prepareContext({context, env})
    t.match(prepared, {canonical: false, unstaged: {context, warning: /\(EROFS\): building from .* as it is/}})
    const error = await stageContext({context, env}).catch((failure: unknown) => failure)
    t.match(error, {exit: ExitCode.CANT_CREATE, message: /cannot create the stage directory \(EROFS\)/}, 'the error says EROFS, not ENOENT')

    // a stage written before the cache became read-only: the lock cannot be taken, the build goes on
    const writable = path.join(root, 'was-writable')
    mkdirSync(writable)
    const before = {DBUILD_CACHE_DIR: writable}
    t.ok('stage' in (await prepareContext({context, env: before})))
    await mount(['--bind', writable], writable, t)
    await execa('mount', ['-o', 'remount,bind,ro', writable])
    const after = await prepareContext({context, env: before})
    t.match(after, {canonical: false, unstaged: {warning: /\(EROFS\)/}})
  },
)
