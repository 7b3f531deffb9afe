/** The engine harness itself: it starts a daemon on private paths and leaves nothing behind. */
import {existsSync} from 'node:fs'

import t from 'tap'

import {startEngine} from '../engine/engine.js'
import {readState} from '../engine/index.js'

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

const state = readState()
if (!state.available) {
  t.plan(0, 'no build engine on this machine')
} else {
  t.test('a private daemon starts, answers, and is stopped by pid with its files removed', async (t) => {
    const engine = await startEngine({containerd: false, registry: false, log: () => {}})
    const pids: number[] = [...engine.pids]
    t.ok(pids.length > 0 && pids.every(alive), 'daemon processes run')
    t.match(engine.graphdriverHost, /^unix:\/\/\/.+\/docker\.sock$/)
    await engine.stop()
    t.notOk(pids.some(alive), 'no process left behind')
    t.notOk(engine.dir && existsSync(engine.dir), 'its private directory is removed')
  })
}
