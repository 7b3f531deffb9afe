/** streamDocker and checkBuildx against a fake `docker` on PATH: exit codes, signals, missing or old buildx. */
import {chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import t from 'tap'

import {checkBuildx} from '../../src/buildx/check.js'
import {streamDocker} from '../../src/buildx/run.js'
import {ExitCode} from '../../src/exit-codes.js'
import {tempDir} from '../helpers/index.js'

const root = tempDir(t, 'dbuild-docker-')

/** An environment whose PATH has only a `docker` running `script` (sh), plus the system's tools. */
function fakeDocker(name: string, script: string): NodeJS.ProcessEnv {
  const bin = path.join(root, name)
  mkdirSync(bin, {recursive: true})
  writeFileSync(path.join(bin, 'docker'), `#!/bin/sh\n${script}\n`)
  chmodSync(path.join(bin, 'docker'), 0o755)
  return {...process.env, PATH: `${bin}:/usr/bin:/bin`}
}

t.test('streamDocker: the exit code, 128+n after a signal, 127 without docker', async (t) => {
  t.same(await streamDocker(['buildx', 'build', '.'], {env: fakeDocker('exit3', 'exit 3')}), {exitCode: 3})
  t.same(await streamDocker(['x'], {env: fakeDocker('ok', '[ "$1" = x ] && exit 0; exit 9')}), {exitCode: 0}, 'arguments arrive unchanged')
  t.same(await streamDocker(['x'], {env: fakeDocker('killed', 'kill -TERM $$')}), {exitCode: 143})
  t.same(await streamDocker(['x'], {env: {...process.env, PATH: path.join(root, 'empty')}}), {exitCode: 127})
  const cwd = path.join(root, 'cwd')
  mkdirSync(cwd)
  t.same(await streamDocker(['x'], {cwd, env: fakeDocker('pwd', `[ "$(pwd)" = "${cwd}" ] || exit 5`)}), {exitCode: 0}, 'runs in cwd')
})

t.test('streamDocker passes SIGTERM on and resolves only once docker has ended', async (t) => {
  const env = fakeDocker('trap', 'trap "sleep 0.2; exit 42" TERM; echo ready > "$READY"; while :; do sleep 0.05; done')
  const ready = path.join(root, 'ready')
  const listeners = process.listenerCount('SIGTERM')
  const run = streamDocker(['x'], {env: {...env, READY: ready}})
  while (!existsSync(ready)) await new Promise((resolve) => setTimeout(resolve, 20))
  process.emit('SIGTERM', 'SIGTERM')
  t.same(await run, {exitCode: 42, interrupted: 'SIGTERM'}, "docker's own exit after the signal, marked interrupted")
  t.equal(process.listenerCount('SIGTERM'), listeners, 'its handler removed')
})

t.test('checkBuildx: missing docker, missing or old buildx each get a clear error with the fix', async (t) => {
  t.same((await checkBuildx(fakeDocker('new', 'echo "github.com/docker/buildx v0.13.1 abc"'))).parts, [0, 13, 1])
  await t.rejects(checkBuildx({...process.env, PATH: path.join(root, 'empty')}), {
    exit: ExitCode.UNAVAILABLE,
    message: /docker was not found on PATH/,
  })
  await t.rejects(checkBuildx(fakeDocker('nobuildx', 'echo "docker: \'buildx\' is not a docker command." >&2; exit 1')), {
    exit: ExitCode.UNAVAILABLE,
    message: /docker buildx is not installed/,
  })
  await t.rejects(checkBuildx(fakeDocker('old', 'echo "github.com/docker/buildx v0.9.1 abc"')), {
    exit: ExitCode.UNAVAILABLE,
    message: /buildx 0\.9\.1 is too old/,
  })
  await t.rejects(checkBuildx(fakeDocker('broken', 'echo boom >&2; exit 2')), {
    exit: ExitCode.UNAVAILABLE,
    message: /docker buildx version failed: boom/,
  })
})

t.test('checkBuildx remembers the version until docker, its config or a buildx plugin changes', async (t) => {
  const calls = path.join(root, 'calls')
  const dockerConfig = path.join(root, 'remember-config')
  const env = {
    ...fakeDocker('remember', `echo run >> "${calls}"; echo "github.com/docker/buildx v0.13.1 abc"`),
    DBUILD_CACHE_DIR: path.join(root, 'remember-cache'),
    DOCKER_CONFIG: dockerConfig,
  }
  const runs = () => (existsSync(calls) ? readFileSync(calls, 'utf8').split('\n').filter(Boolean).length : 0)
  t.same((await checkBuildx(env)).version, '0.13.1')
  t.same((await checkBuildx(env)).version, '0.13.1')
  t.equal(runs(), 1, 'docker asked once')

  mkdirSync(path.join(dockerConfig, 'cli-plugins'), {recursive: true})
  writeFileSync(path.join(dockerConfig, 'cli-plugins', 'docker-buildx'), '')
  await checkBuildx(env)
  t.equal(runs(), 2, 'a new buildx plugin in the config directory: asked again')

  const bin = path.join(root, 'remember', 'docker')
  writeFileSync(bin, '#!/bin/sh\necho "github.com/docker/buildx v0.9.1 abc"\n')
  await t.rejects(checkBuildx(env), {exit: ExitCode.UNAVAILABLE, message: /buildx 0\.9\.1 is too old/}, 'a changed docker CLI: asked again')
  await t.rejects(
    checkBuildx({...env, PATH: path.join(root, 'empty')}),
    {message: /docker was not found on PATH/},
    'docker gone: never a remembered answer',
  )
})

t.test(
  'checkBuildx: a buildx built without version information (v0.0.0+unknown) is not refused; its own help says what it lists',
  async (t) => {
    // the fake only answers `buildx version` as such a build does; the help is the installed buildx's own
    const real = ['/usr/local/bin/docker', '/usr/bin/docker'].find((file) => existsSync(file)) ?? 'docker'
    const unknown = fakeDocker(
      'unknown',
      `[ "$1 $2" = "buildx version" ] && { echo "github.com/docker/buildx v0.0.0+unknown "; exit 0; }\nexec ${real} "$@"`,
    )
    const version = await checkBuildx({...unknown, DBUILD_CACHE_DIR: tempDir(t)})
    t.equal(version.version, 'unknown')
    t.equal(version.parts, undefined, 'no version is made up')
    t.equal(version.annotation, true, 'buildx 0.12+ lists --annotation in its help')
    const old = fakeDocker(
      'unknown-old',
      `[ "$1 $2" = "buildx version" ] && { echo "github.com/docker/buildx v0.0.0+unknown"; exit 0; }\necho "  -f, --file string"`,
    )
    await t.rejects(
      checkBuildx({...old, DBUILD_CACHE_DIR: tempDir(t)}),
      {exit: ExitCode.UNAVAILABLE, message: /has no --build-context/},
      'one without --build-context is still refused',
    )
  },
)
