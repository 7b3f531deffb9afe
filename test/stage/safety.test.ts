/**
 * The stage under bad input and faults: names that are not UTF-8, dbuild's cache inside the context,
 * a .dockerignore directory, files vanishing mid-stage, unreadable contexts, read-only caches and a
 * stage killed half-way.
 */
import {chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {fileURLToPath} from 'node:url'

import {execa} from 'execa'
import t from 'tap'

import {ExitCode} from '../../src/exit-codes.js'
import {prepareContext, stageContext, stageRootFor} from '../../src/stage/index.js'
import {decodeBytes, encodeText} from '../../src/surrogate-escape.js'
import {syncTree} from '../../src/stage/sync.js'
import {walkTree} from '../../src/stage/walk.js'
import {tempDir, writeTree} from '../helpers/index.js'
import {listTree} from './listing.js'

const root = tempDir(t, 'dbuild-stage-safety-')
const STAGE_MODULE = fileURLToPath(new URL('../../src/stage/index.ts', import.meta.url))
const TS_LOADER = process.execArgv.filter((arg) => arg.includes('typescript'))
/** Drops the capabilities that let root read and write whatever it likes. */
const AS_PLAIN_USER = ['setpriv', '--bounding-set=-dac_override,-dac_read_search', '--inh-caps=-dac_override,-dac_read_search']
const hasSetpriv = (await execa('setpriv', ['--version'], {reject: false})).exitCode === 0

/** `stageContext` or `prepareContext` in a separate node process, as a user without root's file access when run as root. */
function inChild(call: 'prepareContext' | 'stageContext', options: object) {
  const script = `
    const stage = await import(${JSON.stringify(STAGE_MODULE)})
    try {
      console.log(JSON.stringify(await stage[${JSON.stringify(call)}](JSON.parse(process.env.STAGE_OPTIONS))))
    } catch (error) {
      console.log(JSON.stringify({error: error.message, exit: error.exit}))
      process.exitCode = error.exit ?? 70
    }`
  const prefix = process.getuid?.() === 0 ? AS_PLAIN_USER : []
  const [command, ...args] = [...prefix, process.execPath, ...TS_LOADER, '--input-type=module', '-e', script]
  return execa(command as string, args, {env: {STAGE_OPTIONS: JSON.stringify(options)}, reject: false})
}

async function runInChild(call: 'prepareContext' | 'stageContext', options: object) {
  const result = await inChild(call, options)
  return {
    exitCode: result.exitCode,
    output: JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>,
    stderr: result.stderr,
  }
}

/** Raw bytes of a Latin-1 name and of a name cut in the middle of a UTF-8 sequence. */
const LATIN1 = Buffer.from('caf\xe9.txt', 'latin1')
const CUT = Buffer.concat([Buffer.from('cut-'), Buffer.from('é', 'utf8').subarray(0, 1), Buffer.from('-end')])

t.test('names keep their bytes: decodeBytes and encodeText round-trip anything', async (t) => {
  for (const bytes of [
    LATIN1,
    CUT,
    Buffer.from('plain'),
    Buffer.from('ünï\u{1F600}'),
    Buffer.from([0xed, 0xa0, 0x80]),
    Buffer.from([0xc0, 0xaf, 0xff, 0x80]),
  ]) {
    t.same(encodeText(decodeBytes(bytes)), bytes, bytes.toString('hex'))
  }
  t.equal(decodeBytes(Buffer.from('ünï')), 'ünï', 'valid UTF-8 is plain text')
})

t.test('file names that are not UTF-8 are walked and staged byte for byte', async (t) => {
  const context = path.join(root, 'bytes')
  writeTree(context, {Dockerfile: 'FROM scratch\n', 'dir/keep': 'k'})
  const dirBytes = Buffer.concat([Buffer.from(`${context}/`), CUT])
  mkdirSync(dirBytes)
  writeFileSync(Buffer.concat([dirBytes, Buffer.from('/'), LATIN1]), 'latin-1 named\n')
  chmodSync(Buffer.concat([dirBytes, Buffer.from('/'), LATIN1]), 0o664)
  writeFileSync(Buffer.concat([Buffer.from(`${context}/`), LATIN1]), 'top\n')
  const out = path.join(root, 'bytes-stage')
  const staged = await stageContext({context, out})
  t.equal(staged.files, 4)
  const names = readdirSync(out, {encoding: 'buffer'})
    .map((name) => name.toString('hex'))
    .sort()
  t.same(
    names,
    [Buffer.from('Dockerfile'), Buffer.from('dir'), CUT, LATIN1].map((name) => name.toString('hex')).sort(),
    'the stage has the exact names',
  )
  const inner = Buffer.concat([Buffer.from(`${out}/`), CUT, Buffer.from('/'), LATIN1])
  t.equal(readFileSync(inner, 'utf8'), 'latin-1 named\n')
  t.equal(lstatSync(inner).mode & 0o7777, 0o644, 'and canonical modes')
  t.equal((await stageContext({context, out})).changed, 0, 'a second stage finds them in place')
  rmSync(Buffer.concat([Buffer.from(`${context}/`), LATIN1]))
  const again = await stageContext({context, out})
  t.equal(again.removed, 1, 'a removed one is removed')
  t.notOk(existsSync(Buffer.concat([Buffer.from(`${out}/`), LATIN1])))
})

t.test("dbuild's cache directory inside the context is left out of its own stage", async (t) => {
  const context = path.join(root, 'cache-inside')
  writeTree(context, {Dockerfile: 'FROM scratch\nCOPY . /\n', 'src/a': 'a', '.cache/other/tool': 'kept'})
  chmodSync(path.join(context, 'src/a'), 0o664)
  const env = {XDG_CACHE_HOME: path.join(context, '.cache')}
  const warnings: string[] = []
  const staged = await stageContext({context, env, onWarning: (message) => warnings.push(message)})
  t.equal(staged.root, stageRootFor(context, undefined, env))
  t.ok(staged.dir.startsWith(path.join(context, '.cache', 'dbuild')), 'the stage is inside the context')
  t.same(
    listTree(staged.dir).map((entry) => entry.path),
    ['.cache', '.cache/other', '.cache/other/tool', 'Dockerfile', 'src', 'src/a'],
    'everything but dbuild/ is staged',
  )
  t.match(warnings.join('\n'), /\.cache\/dbuild: dbuild's cache directory lies inside the context.*\.dockerignore/)
  const again = await stageContext({context, env})
  t.equal(again.changed, 0, 'and it stays out on the next stage')

  // listed in .dockerignore: nothing to say, and a canonical context is built as it is
  writeFileSync(path.join(context, '.dockerignore'), '.cache\n')
  chmodSync(path.join(context, 'src/a'), 0o644)
  const quiet: string[] = []
  t.equal((await prepareContext({context, env, onWarning: (message) => quiet.push(message)})).canonical, true)
  t.same(quiet, [])
  rmSync(path.join(context, '.dockerignore'))
  t.equal((await prepareContext({context, env})).canonical, false, 'a canonical context that would send the cache along is staged')
})

t.test('a .dockerignore that is a directory is no ignore file, as in buildx', async (t) => {
  const context = path.join(root, 'ignore-dir')
  writeTree(context, {Dockerfile: 'FROM scratch\n', '.dockerignore/inside': 'x', a: 'a'})
  const staged = await stageContext({context, out: path.join(root, 'ignore-dir-stage')})
  t.same(
    listTree(staged.dir).map((entry) => entry.path),
    ['.dockerignore', '.dockerignore/inside', 'Dockerfile', 'a'],
  )
  t.equal(staged.ignoreFile, undefined)
})

t.test('a file removed between the walk and its copy is treated as removed', async (t) => {
  const context = path.join(root, 'vanish')
  writeTree(context, {keep: 'k', gone: 'first', 'dir/gone-too': 'x'})
  const stage = path.join(root, 'vanish-stage')
  const scratch = path.join(root, 'vanish-scratch')
  mkdirSync(scratch)
  await syncTree(context, walkTree(context, {readLinks: true}), stage, {scratch})
  writeFileSync(path.join(context, 'gone'), 'changed, so it is copied again')
  writeFileSync(path.join(context, 'new'), 'new')
  const entries = walkTree(context, {readLinks: true})
  rmSync(path.join(context, 'gone'))
  rmSync(path.join(context, 'new'))
  const result = await syncTree(context, entries, stage, {scratch})
  t.same(result.vanished.sort(), ['gone', 'new'])
  t.match(result, {files: 2})
  t.same(
    listTree(stage).map((entry) => entry.path),
    ['dir', 'dir/gone-too', 'keep'],
    'neither is in the stage, not even the old copy',
  )
  t.same(readdirSync(scratch), [], 'nothing left in the scratch directory')
})

t.test(
  'a context directory nobody may read is blamed itself, not a .dockerignore inside it',
  {skip: !hasSetpriv && process.getuid?.() === 0 ? 'setpriv is needed' : false},
  async (t) => {
    const context = path.join(root, 'mode-000')
    writeTree(context, {Dockerfile: 'FROM scratch\n'})
    chmodSync(context, 0o000)
    t.teardown(() => chmodSync(context, 0o755))
    const run = await runInChild('stageContext', {context, out: path.join(root, 'mode-000-stage')})
    t.equal(run.exitCode, ExitCode.IO, run.stderr)
    t.equal(run.output.error, `${context}: cannot read the build context (EACCES)`)
  },
)

t.test(
  'a read-only cache: a build sends the context as it is, with a warning; dbuild stage says why it cannot',
  {skip: !hasSetpriv && process.getuid?.() === 0 ? 'setpriv is needed' : false},
  async (t) => {
    const context = path.join(root, 'read-only')
    writeTree(context, {Dockerfile: 'FROM scratch\n', 'src/a': 'a'})
    const cache = path.join(root, 'read-only-cache')
    mkdirSync(cache)
    chmodSync(cache, 0o555)
    t.teardown(() => chmodSync(cache, 0o755))
    const env = {DBUILD_CACHE_DIR: cache}
    const canonical = await runInChild('prepareContext', {context, env})
    t.equal(canonical.exitCode, 0, canonical.stderr)
    t.match(canonical.output, {canonical: true, context})

    chmodSync(path.join(context, 'src/a'), 0o664)
    const unstaged = await runInChild('prepareContext', {context, env})
    t.equal(unstaged.exitCode, 0, unstaged.stderr)
    t.match(unstaged.output, {
      canonical: false,
      unstaged: {
        context,
        warning: /cannot create the stage directory \(EACCES\): building from .* as it is, whose modes are not canonical/,
      },
    })
    const staged = await runInChild('stageContext', {context, env})
    t.equal(staged.exitCode, ExitCode.CANT_CREATE, staged.stderr)
    t.match(staged.output.error, /cannot create the stage directory \(EACCES\)/)
  },
)

t.test('a stage killed half-way leaves no temp files once the next stage ran', async (t) => {
  const context = path.join(root, 'killed')
  const files: Record<string, string> = {}
  for (let i = 0; i < 3000; i++) files[`d${i % 30}/f${i}`] = `${i}\n`.repeat(500)
  writeTree(context, files)
  const cache = path.join(root, 'killed-cache')
  const env = {DBUILD_CACHE_DIR: cache}
  const stages = path.join(cache, 'stage')
  const leftovers = (): string[] =>
    existsSync(stages) ? readdirSync(stages).filter((name) => /\.tmp$|\.scratch$|\.lock/.test(name) || name.includes('.lock.')) : []
  const inner = (): string[] => {
    const stageRoot = stageRootFor(context, undefined, env)
    return existsSync(stageRoot) ? readdirSync(stageRoot).filter((name) => name !== 'context') : []
  }

  const child = inChild('stageContext', {context, env})
  const deadline = Date.now() + 60_000
  // kill it mid-sync: once its scratch directory exists, files are being copied
  while (!inner().some((name) => name.endsWith('.scratch')) && Date.now() < deadline) await sleep(5)
  child.kill('SIGKILL')
  await child
  t.ok(leftovers().length + inner().length > 0, 'the killed stage left files behind', {leftovers: leftovers(), inner: inner()})

  const staged = await stageContext({context, env})
  t.same(listTree(staged.dir, {modes: false}), listTree(context, {modes: false}), 'the next stage completes')
  t.same(leftovers(), [], 'no temp file beside the stages')
  t.same(inner(), [], 'no scratch, lock or private lock file beside the stage')
})
