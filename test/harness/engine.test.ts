/** The engine harness itself: it starts a daemon on private paths and leaves nothing behind, and its env selects its flavor. */
import {existsSync} from 'node:fs'

import {execa} from 'execa'
import t from 'tap'

import {startEngine} from '../engine/engine.js'
import {readState, useEngine, versionAtLeast} from '../engine/index.js'

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
    const engine = await startEngine({containerd: false, registry: false, flavor: state.flavor ?? 'floor', log: () => {}})
    const pids: number[] = [...engine.pids]
    t.ok(pids.length > 0 && pids.every(alive), 'daemon processes run')
    t.match(engine.graphdriverHost, /^unix:\/\/\/.+\/docker\.sock$/)
    t.equal(engine.flavor, state.flavor ?? 'floor')
    await engine.stop()
    t.notOk(pids.some(alive), 'no process left behind')
    t.notOk(engine.dir && existsSync(engine.dir), 'its private directory is removed')
  })

  t.test("each daemon env runs the docker CLI, buildx and daemon of the engine's flavor", async (t) => {
    const engine = useEngine(t)
    if (!engine) return
    // floor: Docker 26.1 + buildx 0.13; current: Docker 28.5 + buildx 0.29 + containerd 2.x.
    const expected =
      engine.flavor === 'current' ? {docker: '28', buildx: '0.29', containerd: '2'} : {docker: '26', buildx: '0.13', containerd: '1'}
    t.ok(versionAtLeast(engine.versions.dockerServer, expected.docker), `Docker ${engine.versions.dockerServer}`)
    t.ok(versionAtLeast(engine.versions.buildx, expected.buildx), `buildx ${engine.versions.buildx}`)
    t.ok(versionAtLeast(engine.versions.containerd, expected.containerd), `containerd ${engine.versions.containerd}`)
    for (const daemon of [engine.graphdriver, engine.containerd]) {
      const client = await execa('docker', ['version', '--format', '{{.Client.Version}} {{.Server.Version}}'], {env: daemon.env})
      t.equal(
        client.stdout,
        `${engine.versions.dockerClient} ${engine.versions.dockerServer}`,
        `${daemon.store}: the flavor's docker CLI and daemon`,
      )
      const buildx = await execa('docker', ['buildx', 'version'], {env: daemon.env})
      t.match(buildx.stdout, engine.versions.buildx, `${daemon.store}: the flavor's buildx`)
    }
  })

  t.test('versionAtLeast reads the versions docker prints', async (t) => {
    const cases: Array<[string, string, boolean]> = [
      ['0.29.1+ds1', '0.15', true],
      ['0.13.1+ds1', '0.15', false],
      ['v0.13.1', '0.13', true],
      ['28.5.2+dfsg4', '28.5.2', true],
      ['26.1.5+dfsg1', '28', false],
      ['2.1.9+unknown', '2', true],
      ['1.6.20~ds1', '2', false],
    ]
    for (const [version, minimum, result] of cases) t.equal(versionAtLeast(version, minimum), result, `${version} >= ${minimum}`)
  })
}
