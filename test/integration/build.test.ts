/**
 * dbuild build on a real daemon: buildx's exit code becomes dbuild's, and SIGINT/SIGTERM reach
 * buildx, dbuild exits 130/143 after it, and no process is left behind.
 */
import {readFileSync, readdirSync} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'
import t from 'tap'

import {ExitCode} from '../../src/exit-codes.js'
import {ROOT, useEngine} from '../engine/index.js'
import {dockerOn, gitRepo, tempDir, uniqueName} from '../helpers/index.js'

const BIN = path.join(ROOT, 'bin', 'run.js')
const engine = useEngine(t)

/** Processes whose command line contains `marker` (ours, by pid; nothing is killed). */
function processesWith(marker: string): string[] {
  const found: string[] = []
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')
      if (cmdline.includes(marker) && Number(pid) !== process.pid) found.push(`${pid}: ${cmdline}`)
    } catch {
      /* exited meanwhile */
    }
  }
  return found
}

if (engine) {
  const root = tempDir(t)
  const env: NodeJS.ProcessEnv = {...engine.graphdriver.env, DBUILD_CACHE_DIR: path.join(root, 'cache'), NO_COLOR: '1'}
  delete env.CI

  t.test("buildx's exit code becomes dbuild's", async (t) => {
    const dir = await gitRepo(path.join(root, 'fail'), {
      Dockerfile: `FROM ${engine.localBaseImage}\nRUN echo ${uniqueName('fail')} && exit 3\n`,
    })
    const plain = await dockerOn(engine.graphdriver, ['buildx', 'build', '--network=host', '--progress=plain', dir])
    const ours = await execa(process.execPath, [BIN, 'build', '--network=host', '--progress=plain', '.'], {
      cwd: dir,
      env,
      reject: false,
      all: true,
    })
    t.not(plain.exitCode, 0, 'plain buildx fails')
    t.equal(ours.exitCode, plain.exitCode, `dbuild exits with buildx's code (${plain.exitCode})`, {output: ours.all})
    t.match(ours.all, /exit code: 3/, "buildx's own error is shown")

    const badFlag = await execa(process.execPath, [BIN, '--network=host', '--progress=nonsense', '.'], {
      cwd: dir,
      env,
      reject: false,
      all: true,
    })
    const plainBadFlag = await dockerOn(engine.graphdriver, ['buildx', 'build', '--network=host', '--progress=nonsense', dir])
    t.equal(badFlag.exitCode, plainBadFlag.exitCode, `an option buildx rejects: buildx's code (${plainBadFlag.exitCode})`)
  })

  t.test('missing docker: a clear message and UNAVAILABLE', async (t) => {
    const dir = await gitRepo(path.join(root, 'nodocker'), {Dockerfile: 'FROM scratch\n'})
    const result = await execa(process.execPath, [BIN, '.'], {
      cwd: dir,
      env: {...env, PATH: path.join(root, 'no-such-bin')},
      reject: false,
      all: true,
    })
    t.equal(result.exitCode, ExitCode.UNAVAILABLE)
    t.match(result.all, /docker was not found/)
  })

  for (const [signal, code] of [
    ['SIGINT', ExitCode.SIGINT],
    ['SIGTERM', ExitCode.SIGTERM],
  ] as const) {
    t.test(`${signal} during a long RUN: buildx stops, dbuild exits ${code}, nothing is orphaned`, async (t) => {
      const marker = uniqueName(`dbuild-signal-${signal.toLowerCase()}`)
      const dir = await gitRepo(path.join(root, marker), {
        Dockerfile: `FROM ${engine.localBaseImage}\nRUN echo started ${marker} && sleep 120\n`,
      })
      const child = execa(process.execPath, [BIN, 'build', '--network=host', '--progress=plain', '--label', `marker=${marker}`, '.'], {
        cwd: dir,
        env,
        reject: false,
        all: true,
      })
      let output = ''
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the RUN never started:\n${output}`)), 120_000)
        child.all?.on('data', (chunk: Buffer) => {
          output += chunk.toString()
          if (output.includes(`started ${marker}`) && output.match(/#\d+ \d+\.\d+ started/)) {
            clearTimeout(timer)
            resolve()
          }
        })
      })
      t.ok(processesWith(`marker=${marker}`).length >= 2, 'docker and buildx are running')
      const sentAt = Date.now()
      child.kill(signal)
      const result = await child
      t.equal(result.exitCode, code, `dbuild exits ${code}`, {output: result.all})
      t.ok(Date.now() - sentAt < 60_000, 'and does so promptly, not after the sleep')
      t.same(processesWith(`marker=${marker}`), [], 'no docker or buildx process is left')
    })
  }
}
