/**
 * Temp files of writers that died (src/write-atomic.ts): a process SIGKILLed half-way through a
 * write leaves `<file>.<pid>.tmp`, and the next write beside it removes it, while the temp files of
 * live writers stay. The stage's records are written the same way and swept the same way.
 */
import {existsSync, mkdirSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {execa} from 'execa'
import t from 'tap'

import {digestWithRecord} from '../../src/stage/digest.js'
import {stageContext, stageRootFor} from '../../src/stage/index.js'
import {walkTree} from '../../src/stage/walk.js'
import {writeFileAtomic} from '../../src/write-atomic.js'
import {tempDir, writeTree} from '../helpers/index.js'

const root = tempDir(t, 'dbuild-stale-temps-')
const WRITE_MODULE = fileURLToPath(new URL('../../src/write-atomic.ts', import.meta.url))
const TS_LOADER = process.execArgv.filter((arg) => arg.includes('typescript'))

/** Older than the grace a temp file gets (a writer on another host sharing the directory). */
function age(file: string): void {
  const past = new Date(Date.now() - 10 * 60_000)
  utimesSync(file, past, past)
}

/** The pid of a process that has ended. */
async function deadPid(): Promise<number> {
  const child = execa(process.execPath, ['-e', '0'])
  await child
  return child.pid as number
}

t.test('a writer SIGKILLed mid-write leaves its temp file, and the next write removes it', async (t) => {
  const file = path.join(root, 'killed', 'state.json')
  const script = `
    const {AtomicFile} = await import(${JSON.stringify(WRITE_MODULE)})
    const out = new AtomicFile(${JSON.stringify(file)})
    out.write('half of it')
    console.log('written')
    setInterval(() => {}, 1000)`
  const child = execa(process.execPath, [...TS_LOADER, '--input-type=module', '-e', script], {reject: false})
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (data: Buffer) => data.toString().includes('written') && resolve())
    child.on('exit', () => reject(new Error('the writer ended before it wrote')))
  })
  child.kill('SIGKILL')
  const killed = await child
  t.equal(killed.signal, 'SIGKILL')
  const temp = `${file}.${child.pid}.tmp`
  t.equal(readFileSync(temp, 'utf8'), 'half of it', 'the killed writer left its temp file')
  t.notOk(existsSync(file), 'and never the file itself')

  writeFileAtomic(file, 'whole')
  t.ok(existsSync(temp), 'a temp file younger than the grace is kept (its writer may be on another host)')
  age(temp)
  writeFileAtomic(file, 'whole again')
  t.notOk(existsSync(temp), 'removed by the next write once its process is gone')
  t.equal(readFileSync(file, 'utf8'), 'whole again')
})

t.test('temp files of live writers and other names are left alone', async (t) => {
  const dir = path.join(root, 'live')
  const file = path.join(dir, 'answer.json')
  const sleeper = execa('sleep', ['30'], {reject: false})
  t.teardown(() => {
    sleeper.kill()
  })
  const dead = await deadPid()
  const planted = {
    live: `${file}.${sleeper.pid}.tmp`,
    dead: `${file}.${dead}.tmp`,
    otherFile: `${path.join(dir, 'other.json')}.${dead}.tmp`,
    notATemp: `${file}.${dead}.bak`,
  }
  mkdirSync(dir, {recursive: true})
  for (const name of Object.values(planted)) {
    writeFileSync(name, 'x')
    age(name)
  }
  writeFileAtomic(file, 'data')
  t.notOk(existsSync(planted.dead), 'a dead writer of this file: removed')
  t.ok(existsSync(planted.live), 'a live writer: kept')
  t.ok(existsSync(planted.otherFile), "another file's temp: left to its own writes")
  t.ok(existsSync(planted.notATemp), 'not a temp file: kept')
})

t.test("the stage's records sweep the temp files a killed stage left beside them", async (t) => {
  process.env.DBUILD_CACHE_DIR = path.join(root, 'cache')
  t.teardown(() => delete process.env.DBUILD_CACHE_DIR)
  const context = path.join(root, 'context')
  writeTree(context, {'a.txt': 'a\n'})
  await stageContext({context, digest: true})
  const hashes = `${stageRootFor(context)}.listings.hashes`
  const stale = `${hashes}.${await deadPid()}.tmp`
  writeFileSync(stale, 'half a record')
  age(stale)
  writeFileSync(path.join(context, 'a.txt'), 'changed\n')
  await stageContext({context, digest: true})
  t.notOk(existsSync(stale), 'removed when the hashes were saved again')
  t.match(readFileSync(hashes, 'utf8'), /"a.txt"\t8\t/)
})

t.test('a digest that fails half-way leaves no temp record behind', async (t) => {
  const context = path.join(root, 'fails')
  writeTree(context, {'a.txt': 'a\n', 'b.txt': 'b\n'})
  const entries = walkTree(context, {readLinks: true})
  // b.txt becomes a directory after the walk: reading it as a file fails (EISDIR), as an unreadable file would
  rmSync(path.join(context, 'b.txt'))
  mkdirSync(path.join(context, 'b.txt'))
  const records = path.join(root, 'fails-records')
  mkdirSync(records)
  t.throws(() => digestWithRecord(context, entries, path.join(records, 'hashes'), context), {message: /b\.txt: cannot read \(EISDIR\)/})
  t.same(readdirSync(records), [], 'no record and no temp file')
})
