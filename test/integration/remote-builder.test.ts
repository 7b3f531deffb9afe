/**
 * dbuild against a builder on another host: a second dockerd (containerd image store) inside a
 * network namespace this test creates, listening on TCP at a private address on a veth link made
 * here too. Reached three ways: DOCKER_HOST=tcp://…, a docker context, and --builder naming the
 * context's builder. The test installs what it lacks (iproute2), needs root, talks only to the
 * address inside its namespace, and removes the namespace, link, daemon and files at the end.
 */
import {chmodSync} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'
import t from 'tap'

import {startDockerd, stopEngine} from '../engine/engine.js'
import {ROOT, useEngine} from '../engine/index.js'
import {type BuildxRun, cachedSteps, cloneUnderUmask, gitRepo, tempDir} from '../helpers/index.js'

const BIN = path.join(ROOT, 'bin', 'run.js')
const engine = useEngine(t)
const inCI = process.env.CI === 'true' || process.env.CI === '1'

async function root(command: string, args: string[]): Promise<void> {
  const result = await execa(command, args, {reject: false, all: true})
  if (result.exitCode !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.exitCode}): ${result.all}`)
}

if (engine && process.getuid?.() !== 0) {
  if (inCI) t.fail('the remote builder test needs root (network namespaces, a second dockerd)')
  else t.comment('SKIPPED: the remote builder test needs root (network namespaces, a second dockerd)')
} else if (engine) {
  const dir = tempDir(t, 'dbrb-')
  const id = Math.random().toString(36).slice(2, 7)
  const ns = `dbrb-${id}`
  const hostSide = `vh${id}`
  const nsSide = `vn${id}`
  // a /30 of our own in 10.250.0.0/16, the only addresses this test talks to
  const octet = 1 + Math.floor(Math.random() * 250)
  const remoteIp = `10.250.${octet}.2`
  const remote = `tcp://${remoteIp}:2375`
  // what stopEngine stops: the remote dockerd's process group, and whatever it left mounted below dir
  const remoteDaemon = {pids: [] as number[], dir}

  t.teardown(async () => {
    await stopEngine(remoteDaemon)
    await execa('ip', ['link', 'del', hostSide], {reject: false})
    await execa('ip', ['netns', 'del', ns], {reject: false})
  })

  t.before(async () => {
    if ((await execa('sh', ['-c', 'command -v ip'], {reject: false})).exitCode !== 0)
      await root('apt-get', ['install', '-y', '-q', 'iproute2'])
    await root('ip', ['netns', 'add', ns])
    await root('ip', ['link', 'add', hostSide, 'type', 'veth', 'peer', 'name', nsSide])
    await root('ip', ['link', 'set', nsSide, 'netns', ns])
    await root('ip', ['addr', 'add', `10.250.${octet}.1/30`, 'dev', hostSide])
    await root('ip', ['link', 'set', hostSide, 'up'])
    await root('ip', ['netns', 'exec', ns, 'ip', 'addr', 'add', `${remoteIp}/30`, 'dev', nsSide])
    await root('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', nsSide, 'up'])
    await root('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up'])

    // the store where plain COPY --link --chown=name fails: what dbuild must handle remotely too
    await startDockerd({
      root: path.join(dir, 'd'),
      daemonJson: {features: {'containerd-snapshotter': true}},
      // the engine's PATH: the remote daemon is of the same flavor (its dockerd, containerd and shim)
      env: {...process.env, PATH: engine.graphdriver.env.PATH},
      pids: remoteDaemon.pids,
      hosts: [remote],
      // nsenter --net, not `ip netns exec`: that also remounts /sys, hiding the cgroup mount dockerd needs
      launcher: ['nsenter', `--net=/var/run/netns/${ns}`],
      timeout: 90_000,
    })
    // the base image, by a name only the remote daemon has: a probe that ran anywhere else could not find it
    const save = execa('docker', ['save', engine.localBaseImage], {env: engine.graphdriver.env, encoding: 'buffer'})
    const saved = await save
    await execa('docker', ['-H', remote, 'load'], {
      input: saved.stdout,
      env: {...engine.graphdriver.env, DOCKER_HOST: undefined, DOCKER_CONFIG: path.join(dir, 'probe-config')},
    })
    await execa('docker', ['-H', remote, 'tag', engine.localBaseImage, `dbuild-remote-${id}/base:latest`], {
      env: {...engine.graphdriver.env, DOCKER_HOST: undefined, DOCKER_CONFIG: path.join(dir, 'probe-config')},
    })
  })

  /** The local engine is the graphdriver test daemon; the remote one is selected per test. */
  const dockerConfig = path.join(dir, 'docker-config')
  const localEnv = (): NodeJS.ProcessEnv => {
    // engine.dockerConfig links the engine's buildx into it, so docker still runs that buildx
    const env: NodeJS.ProcessEnv = {
      ...engine.graphdriver.env,
      DOCKER_CONFIG: engine.dockerConfig(dockerConfig),
      DBUILD_CACHE_DIR: path.join(dir, 'cache'),
      NO_COLOR: '1',
    }
    delete env.CI
    return env
  }
  const dbuild = async (args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<BuildxRun & {stdout: string}> => {
    const result = await execa(process.execPath, [BIN, ...args], {cwd, env, extendEnv: false, reject: false, all: true})
    return {exitCode: result.exitCode ?? 1, output: result.all ?? '', stdout: result.stdout ?? ''}
  }
  const docker = async (args: string[], env: NodeJS.ProcessEnv, cwd = dir): Promise<BuildxRun> => {
    const result = await execa('docker', args, {cwd, env, extendEnv: false, reject: false, all: true})
    return {exitCode: result.exitCode ?? 1, output: result.all ?? ''}
  }

  t.test('DOCKER_HOST=tcp://: the stage is uploaded there and the cache hits across umasks', async (t) => {
    const source = await gitRepo(path.join(dir, 'cache-source'), {
      Dockerfile: 'FROM scratch\nCOPY . /app/\n',
      '.dockerignore': '.git\n',
      'src/hello.txt': `hello ${id}\n`,
    })
    const ci = await cloneUnderUmask(source, path.join(dir, 'umask002'), '002')
    const dev = await cloneUnderUmask(source, path.join(dir, 'umask022'), '022')
    const env = {...localEnv(), DOCKER_HOST: remote}
    // the control first, while the remote cache has nothing of this content: plain buildx misses across umasks
    const plainFirst = await docker(['buildx', 'build', '--progress=plain', ci], env)
    const plainSecond = await docker(['buildx', 'build', '--progress=plain', dev], env)
    t.equal(plainFirst.exitCode + plainSecond.exitCode, 0, 'plain buildx builds both', {output: plainSecond.output})
    t.notOk(
      cachedSteps(plainSecond.output).some((step) => step.includes('COPY . /app/')),
      'plain buildx: the umask 022 checkout misses the 002 cache',
    )

    const first = await dbuild(['build', '--progress=plain', '.'], ci, env)
    t.equal(first.exitCode, 0, 'dbuild build on the remote daemon', {output: first.output})
    t.match(first.output, /context staged/, 'the umask 002 checkout was staged')
    t.match(first.output, /transferring context/, 'and the stage was sent to the remote daemon')
    const second = await dbuild(['build', '--progress=plain', '.'], dev, env)
    t.equal(second.exitCode, 0, {output: second.output})
    t.ok(
      cachedSteps(second.output).some((step) => step.includes('COPY . /app/')),
      'dbuild: the umask 022 checkout hits the cache there',
      {output: second.output},
    )
  })

  t.test('a docker context and --builder: probe builds run on the selected builder', async (t) => {
    const created = await docker(['context', 'create', `remote-${id}`, '--docker', `host=${remote}`], localEnv())
    t.equal(created.exitCode, 0, 'docker context create', {output: created.output})
    const dockerfile = `FROM dbuild-remote-${id}/base:latest\nCOPY --link --chown=app foo /home/app/foo\n`
    const project = await gitRepo(path.join(dir, 'link-chown'), {Dockerfile: dockerfile, foo: 'foo\n'})
    chmodSync(path.join(project, 'foo'), 0o644)

    const plain = await docker(['--context', `remote-${id}`, 'buildx', 'build', '--progress=plain', '.'], localEnv(), project)
    t.not(plain.exitCode, 0, 'plain buildx fails on the remote containerd store')
    t.match(plain.output, /invalid user index: -1/)

    const contextEnv: NodeJS.ProcessEnv = {...localEnv(), DOCKER_CONTEXT: `remote-${id}`}
    delete contextEnv.DOCKER_HOST
    const viaContext = await dbuild(['build', '--progress=plain', '.'], project, contextEnv)
    t.equal(viaContext.exitCode, 0, 'DOCKER_CONTEXT: dbuild builds there', {output: viaContext.output})
    t.match(viaContext.output, /app is 1000:1000/, 'the probe read app from an image only the remote daemon has')

    // --builder naming the builder whose node is remote; buildx's docker driver serves only its own context
    const viaBuilder = await dbuild(['build', '--builder', `remote-${id}`, '--no-cache', '--progress=plain', '.'], project, {
      ...contextEnv,
      DBUILD_CACHE_DIR: path.join(dir, 'cache-builder'),
    })
    t.equal(viaBuilder.exitCode, 0, '--builder: dbuild builds on the remote node', {output: viaBuilder.output})
    t.match(viaBuilder.output, /app is 1000:1000/, 'its probe ran on the selected builder')
    // from another context, plain buildx refuses that builder, and dbuild fails just as it does
    const plainElsewhere = await docker(['buildx', 'build', '--builder', `remote-${id}`, '.'], localEnv(), project)
    const oursElsewhere = await dbuild(['build', '--builder', `remote-${id}`, '.'], project, localEnv())
    t.match(plainElsewhere.output, /switch to context/, 'plain buildx: a docker-driver builder of another context')
    t.equal(oursElsewhere.exitCode, plainElsewhere.exitCode, "dbuild passes buildx's exit code through")
    t.match(oursElsewhere.output, /switch to context/)
  })

  t.test("doctor reports the selected builder's store, not the local one", async (t) => {
    const local = JSON.parse((await dbuild(['doctor', '--json'], dir, localEnv())).stdout) as {imageStore: string | null}
    t.equal(local.imageStore, 'graphdriver', 'the local daemon: graphdriver store')
    const viaBuilder = JSON.parse((await dbuild(['doctor', '--json', '--builder', `remote-${id}`], dir, localEnv())).stdout) as {
      imageStore: string | null
    }
    t.equal(viaBuilder.imageStore, 'containerd', "--builder: the remote node's containerd store")
    const viaHost = JSON.parse((await dbuild(['doctor', '--json'], dir, {...localEnv(), DOCKER_HOST: remote})).stdout) as {
      imageStore: string | null
    }
    t.equal(viaHost.imageStore, 'containerd', "DOCKER_HOST=tcp://: the remote daemon's store")
  })
}
