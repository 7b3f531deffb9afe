/**
 * The stage lock: a lock whose holder is provably gone is taken over, with a warning that says so;
 * one whose holder lives is waited for, and a live holder keeps its lock fresh.
 */
import {existsSync, mkdirSync, statSync, utimesSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import t from 'tap'

import {ExitCode} from '../../src/exit-codes.js'
import {stageContext, stageRootFor} from '../../src/stage/index.js'
import {withLock} from '../../src/stage/lock.js'
import {tempDir, writeTree} from '../helpers/index.js'

const root = tempDir(t, 'dbuild-lock-')
process.env.DBUILD_CACHE_DIR = path.join(root, 'cache')
t.teardown(() => delete process.env.DBUILD_CACHE_DIR)

/** A context whose stage lock is `content`, last refreshed `ageSeconds` ago. */
function lockedContext(name: string, content: string, ageSeconds: number): {context: string; lock: string} {
  const context = path.join(root, name)
  writeTree(context, {'a.txt': 'a'})
  const stageRoot = stageRootFor(context)
  mkdirSync(stageRoot, {recursive: true})
  const lock = path.join(stageRoot, '.context.lock')
  writeFileSync(lock, content)
  const then = new Date(Date.now() - ageSeconds * 1000)
  utimesSync(lock, then, then)
  return {context, lock}
}

const STALE = [
  // a CI container sharing the cache volume, killed mid-stage: its pid means nothing here
  {
    name: 'a dbuild killed on another host',
    lock: JSON.stringify({pid: 4242, host: 'ci-runner-7f3a'}),
    age: 120,
    says: /dbuild process 4242 on ci-runner-7f3a has not refreshed it for 1\d\ds/,
  },
  {name: 'an empty lock file', lock: '', age: 120, says: /an empty or unreadable lock has not refreshed it for 1\d\ds/},
  {name: 'a garbled lock file', lock: '{"pid":', age: 120, says: /an empty or unreadable lock has not refreshed it/},
  // this host's pid namespace, a pid that is gone: no need to wait for its age
  {name: 'a dbuild of this host that is gone', lock: 'LOCAL_GONE', age: 0, says: /dbuild process \d+ on .* is gone/},
]

t.test('a stale lock is taken over at once, and the warning says whose it was and why', async (t) => {
  const {execa} = await import('execa')
  const gone = await execa(process.execPath, [
    '-e',
    'const fs = require("fs"); console.log(process.pid, fs.readlinkSync("/proc/self/ns/pid"))',
  ])
  const [pid, pidns] = gone.stdout.trim().split(' ')
  for (const [i, stale] of STALE.entries()) {
    const content = stale.lock === 'LOCAL_GONE' ? JSON.stringify({pid: Number(pid), host: os.hostname(), pidns}) : stale.lock
    const {context, lock} = lockedContext(`stale-${i}`, content, stale.age)
    const warnings: string[] = []
    const started = Date.now()
    const staged = await stageContext({context, onWarning: (message) => warnings.push(message)})
    t.ok(Date.now() - started < 30_000, `${stale.name}: no wait for a holder that is gone`)
    t.equal(staged.files, 1, `${stale.name}: staged`)
    t.match(warnings.join('\n'), /took over the stage lock/, `${stale.name}: said so`)
    t.match(warnings.join('\n'), stale.says, `${stale.name}: and why`)
    t.notOk(existsSync(lock), `${stale.name}: released after`)
  }
})

t.test('a lock of another host that is still refreshed is waited for, and not taken', async (t) => {
  const {lock} = lockedContext('live-elsewhere', JSON.stringify({pid: 4242, host: 'ci-runner-live'}), 0)
  const waited: unknown[] = []
  const error = await withLock(lock, async () => 'taken', {timeout: 400, onWait: (owner) => waited.push(owner)}).catch(
    (failure: unknown) => failure,
  )
  t.match(error, {exit: ExitCode.CANT_CREATE, message: /still locked by process 4242/})
  t.match(waited, [{pid: 4242, host: 'ci-runner-live'}])
  t.ok(existsSync(lock), 'the live lock stays')
  // no longer refreshed: taken over once it is older than the stale time
  const warnings: string[] = []
  t.equal(await withLock(lock, async () => 'taken', {staleAfter: 300, onTakeOver: (message) => warnings.push(message)}), 'taken')
  t.match(warnings, [/ci-runner-live has not refreshed it/])
})

t.test('the holder refreshes its lock while it holds it', async (t) => {
  const lock = path.join(root, 'heartbeat.lock')
  await withLock(
    lock,
    async () => {
      const then = new Date(Date.now() - 60_000)
      utimesSync(lock, then, then)
      await sleep(300)
      t.ok(Date.now() - statSync(lock).mtimeMs < 2_000, 'refreshed by the heartbeat')
    },
    {heartbeat: 50},
  )
  t.notOk(existsSync(lock))
})
