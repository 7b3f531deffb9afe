/**
 * A `.dbuild.json` cacheTo must not break a build that works without dbuild. On the
 * docker driver with the graphdriver store only inline cache export works; plain buildx with the
 * registry cacheTo fails there, and plain buildx without it (what the user had before dbuild) works.
 */
import path from 'node:path'

import {execa} from 'execa'
import t from 'tap'

import type {DoctorReport} from '../../src/doctor/index.js'
import {ROOT, useEngine} from '../engine/index.js'
import {dockerOn, gitRepo, tempDir, uniqueName} from '../helpers/index.js'

const BIN = path.join(ROOT, 'bin', 'run.js')
const engine = useEngine(t)

if (engine) {
  const name = uniqueName('dbuild-test/cache-export')
  const cacheTo = `type=registry,ref=${engine.registry}/${name}:cache`
  const repo = await gitRepo(path.join(tempDir(t), 'repo'), {
    '.dbuild.json': JSON.stringify({cacheTo: [cacheTo]}),
    Dockerfile: `FROM ${engine.localBaseImage}\nRUN echo ${name} > /built\n`,
  })
  const cache = tempDir(t)

  for (const daemon of [engine.graphdriver, engine.containerd]) {
    const dbuild = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
      execa(process.execPath, [BIN, ...args], {
        cwd: repo,
        env: {...daemon.env, DBUILD_CACHE_DIR: cache, ...extra},
        extendEnv: false,
        reject: false,
        all: true,
      })

    t.test(`${daemon.store}: CI=true dbuild build completes where plain buildx does`, async (t) => {
      const control = await dockerOn(daemon, ['buildx', 'build', '--network=host', '--progress=plain', '.'], {cwd: repo})
      t.equal(control.exitCode, 0, 'plain buildx without the cacheTo builds')
      const withCacheTo = await dockerOn(daemon, ['buildx', 'build', '--network=host', '--progress=plain', '--cache-to', cacheTo, '.'], {
        cwd: repo,
      })
      const supported = daemon.store === 'containerd'
      t.equal(
        withCacheTo.exitCode === 0,
        supported,
        `plain buildx with the registry cacheTo ${supported ? 'builds' : 'fails'} on ${daemon.store}`,
      )

      const build = await dbuild(['--network=host', '--progress=plain', '-t', `${name}:${daemon.store}`, '.'], {CI: 'true'})
      t.equal(build.exitCode, 0, build.all?.slice(-1500))
      if (supported) {
        t.match(build.all, /exporting cache|writing cache manifest/, 'the cache was exported')
        t.notMatch(build.all, /cacheTo .* dropped/)
      } else {
        t.match(
          build.all,
          /dbuild: warning: .*\.dbuild\.json cacheTo type=registry,ref=.* dropped: the builder default \(driver docker, graphdriver image store\) cannot export a registry cache/,
          'says what was dropped and why',
        )
        t.match(build.all, /docker-container.*type=inline/, 'names the fix')
      }
    })

    t.test(`${daemon.store}: doctor checks the config's cacheTo against the builder`, async (t) => {
      const doctor = await execa(process.execPath, [BIN, 'doctor', '--json'], {cwd: repo, env: daemon.env, extendEnv: false, reject: false})
      const report = JSON.parse(doctor.stdout) as DoctorReport
      const check = report.checks.find((entry) => entry.id === 'cache-export')
      t.equal(check?.status, daemon.store === 'containerd' ? 'pass' : 'warn', check?.detail ?? 'no cache-export check')
      if (daemon.store === 'graphdriver') t.match(check?.fix, /docker-container.*type=inline/)
    })
  }
}
