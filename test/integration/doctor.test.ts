/** `dbuild doctor --json` against the real test daemons, through the compiled CLI (`npx tsc -p .` first). */
import path from 'node:path'

import {execa} from 'execa'
import t from 'tap'

import type {DoctorReport} from '../../src/doctor/index.js'
import {ExitCode} from '../../src/exit-codes.js'
import {ROOT, useEngine} from '../engine/index.js'
import {gitRepo, tempDir} from '../helpers/index.js'

const BIN = path.join(ROOT, 'bin', 'run.js')
const engine = useEngine(t)

if (engine) {
  const repo = await gitRepo(path.join(tempDir(t), 'repo'), {
    '.dbuild.json': JSON.stringify({cacheFrom: [`type=registry,ref=${engine.registry}/dbuild-test/doctor:cache`]}),
    'a.txt': 'a\n',
  })
  const doctor = async (env: NodeJS.ProcessEnv) => {
    const result = await execa(process.execPath, [BIN, 'doctor', '--json'], {cwd: repo, env, reject: false})
    return {exitCode: result.exitCode, report: JSON.parse(result.stdout) as DoctorReport, stderr: result.stderr}
  }

  for (const daemon of [engine.graphdriver, engine.containerd]) {
    t.test(`${daemon.store} daemon: imageStore is ${daemon.store}`, async (t) => {
      const {exitCode, report, stderr} = await doctor(daemon.env)
      t.equal(exitCode, 0, `nothing failed: ${stderr}`)
      t.equal(report.imageStore, daemon.store)
      const byId = new Map(report.checks.map((check) => [check.id, check]))
      t.equal(byId.get('docker-daemon')?.status, 'pass')
      t.match(byId.get('docker-daemon')?.detail, daemon.host, 'names the DOCKER_HOST it asked')
      t.equal(byId.get('image-store')?.status, daemon.store === 'containerd' ? 'warn' : 'pass')
      t.match(byId.get('image-store')?.detail, /invalid user index: -1|fails on containerd/)
      t.equal(byId.get(`registry:${engine.registry}`)?.status, 'pass', 'the cacheFrom registry is reachable')
      t.equal(byId.get('config')?.status, 'pass')
    })
  }

  t.test('an unreachable daemon fails the check and exits FINDINGS, still printing JSON', async (t) => {
    const {exitCode, report} = await doctor({...engine.graphdriver.env, DOCKER_HOST: `unix://${path.join(repo, 'no.sock')}`})
    t.equal(exitCode, ExitCode.FINDINGS)
    t.equal(report.ok, false)
    t.equal(report.imageStore, null)
    t.equal(report.checks.find((check) => check.id === 'docker-daemon')?.status, 'fail')
  })
}
