/**
 * Today's buildx flags through `dbuild build`, against plain `docker buildx build` on the same engine:
 * `--call check|outline` and `--check` (buildx 0.15 on), and value flags of later releases
 * (`--policy` 0.31, `--resource` 0.35). dbuild passes them through untouched and never takes a
 * flag's value for the context: on a buildx that has the flag, dbuild gives what plain buildx gives;
 * on one that lacks it, buildx's own refusal (its exit code) comes through.
 */
import path from 'node:path'

import {execa} from 'execa'
import t from 'tap'

import {ROOT, useEngine, versionAtLeast} from '../engine/index.js'
import {dockerOn, gitRepo, tempDir} from '../helpers/index.js'

const BIN = path.join(ROOT, 'bin', 'run.js')
const engine = useEngine(t)

if (engine) {
  const root = tempDir(t, 'dbuild-buildx-flags-it-')
  const daemon = engine.graphdriver
  const env: NodeJS.ProcessEnv = {...daemon.env, DBUILD_CACHE_DIR: path.join(root, 'cache'), NO_COLOR: '1'}
  delete env.CI
  const buildx = engine.versions.buildx

  // `as` in lower case beside an upper-case FROM: the FromAsCasing check warns about it.
  const DOCKERFILE = `FROM ${engine.baseImage} as base\nCOPY app.txt /app.txt\n`

  const both = async (args: string[], cwd: string) => {
    const plain = await dockerOn(daemon, ['buildx', 'build', ...args], {cwd})
    const result = await execa(process.execPath, [BIN, 'build', ...args], {cwd, env, extendEnv: false, reject: false, all: true})
    return {plain, ours: {exitCode: result.exitCode ?? 1, output: result.all ?? ''}}
  }

  t.test('--call check, --call=outline and --check: what plain buildx does, the context never taken for a value', async (t) => {
    await gitRepo(path.join(root, 'checks'), {Dockerfile: DOCKERFILE, 'app.txt': 'a\n'})
    const has = versionAtLeast(buildx, '0.15')
    // run from the parent, so the context is the last argument and a value flag that swallowed it would show
    for (const args of [
      ['--call', 'check', 'checks'],
      ['--call=outline', 'checks'],
      ['--check', 'checks'],
    ]) {
      const {plain, ours} = await both(['--progress=plain', ...args], root)
      const what = args.slice(0, -1).join(' ')
      t.not(ours.exitCode, 70, `${what}: never dbuild's internal error`, {output: ours.output})
      t.equal(ours.exitCode, plain.exitCode, `${what} on buildx ${buildx}: plain buildx's exit code`, {
        plain: plain.output,
        ours: ours.output,
      })
      if (!has) {
        t.not(plain.exitCode, 0, `buildx ${buildx} has no ${what}`)
        continue
      }
      if (what !== '--call=outline') {
        t.match(plain.output, /FromAsCasing/, `buildx ${buildx} ${what}: the lint check runs`)
        t.match(ours.output, /FromAsCasing/, `dbuild: the same check on the user's Dockerfile`)
      }
    }
  })

  t.test('--policy and --resource take a value: passed through, the context stays the context', async (t) => {
    await gitRepo(path.join(root, 'values'), {Dockerfile: DOCKERFILE, 'app.txt': 'a\n'})
    for (const [args, since] of [
      [['--policy', 'log-level=debug', 'values'], '0.31'],
      [['--resource', 'memory=512m', 'values'], '0.35'],
    ] as const) {
      const {plain, ours} = await both(['--progress=plain', '--output', 'type=cacheonly', ...args], root)
      const what = args[0]
      t.not(ours.exitCode, 70, `${what}: never dbuild's internal error`, {output: ours.output})
      t.equal(
        ours.exitCode,
        plain.exitCode,
        `${what} on buildx ${buildx} (${versionAtLeast(buildx, since) ? 'has it' : `added in ${since}`}): plain buildx's exit code`,
        {
          plain: plain.output,
          ours: ours.output,
        },
      )
    }
  })
}
