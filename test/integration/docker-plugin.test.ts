/**
 * dbuild as a Docker CLI plugin, through the real docker CLI 28 and the real engine, in a temp
 * DOCKER_CONFIG: `docker dbuild build` stages; after --alias plain `docker build` stages and
 * `docker builder …` reaches buildx; uninstall gives config.json back byte for byte.
 */
import {chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'
import t from 'tap'

import {ROOT, useEngine} from '../engine/index.js'
import {gitRepo, tempDir} from '../helpers/index.js'

const BIN = path.join(ROOT, 'bin', 'run.js')
const engine = useEngine(t)

/** config.json as a user's docker might have left it: tabs, odd spacing, no newline at the end, mode 0600. */
const CONFIG = '{\n\t"auths": {\n\t\t"registry.example.com": {}\n\t},\n  "psFormat": "table {{.ID}}"\n}'

if (engine) {
  const root = tempDir(t)
  const host = engine.graphdriver.host

  /** An environment with only this DOCKER_CONFIG, and no DOCKER_HOST: the daemon comes from docker's -H, which the plugin must honour. */
  const envFor = (dockerConfig: string): NodeJS.ProcessEnv => {
    // engine.dockerConfig links the engine's buildx into it, so docker still runs that buildx
    const env: NodeJS.ProcessEnv = {
      ...engine.graphdriver.env,
      DOCKER_CONFIG: engine.dockerConfig(dockerConfig),
      DBUILD_CACHE_DIR: path.join(root, 'cache'),
      NO_COLOR: '1',
    }
    delete env.DOCKER_HOST
    delete env.CI
    return env
  }
  const run = async (command: string, args: string[], env: NodeJS.ProcessEnv, cwd = root) => {
    const result = await execa(command, args, {cwd, env, extendEnv: false, reject: false, all: true})
    return {exitCode: result.exitCode ?? 1, all: result.all ?? '', stdout: result.stdout ?? ''}
  }
  const dbuild = (args: string[], env: NodeJS.ProcessEnv, cwd = root) => run(process.execPath, [BIN, ...args], env, cwd)
  const docker = (args: string[], env: NodeJS.ProcessEnv, cwd = root) => run('docker', args, env, cwd)

  const project = async (name: string) => {
    const dir = await gitRepo(path.join(root, name), {
      Dockerfile: 'FROM scratch\nCOPY . /ctx/\n',
      '.dockerignore': '.git\n',
      'hello.txt': 'hello\n',
    })
    chmodSync(path.join(dir, 'hello.txt'), 0o664)
    return dir
  }

  t.test('docker dbuild build; --alias routes plain docker build; uninstall restores config.json', async (t) => {
    const dockerConfig = path.join(root, 'docker-config')
    const config = path.join(dockerConfig, 'config.json')
    const env = envFor(dockerConfig)
    const dir = await project('app')
    writeConfig(config)

    const install = await dbuild(['docker', 'install'], env)
    t.equal(install.exitCode, 0, 'dbuild docker install', {output: install.all})
    t.equal(readFileSync(config, 'utf8'), CONFIG, 'without --alias config.json is not touched')
    const metadata = await run(path.join(dockerConfig, 'cli-plugins', 'docker-dbuild'), ['docker-cli-plugin-metadata'], env)
    t.match(JSON.parse(metadata.stdout), {SchemaVersion: '0.1.0', Vendor: 'dbuild'}, 'the plugin answers docker-cli-plugin-metadata')
    t.match((await docker(['--help'], env)).all, /dbuild\*\s+Reproducible/, 'docker lists the plugin')

    const out = path.join(root, 'out-plugin')
    const viaPlugin = await docker(['-H', host, 'dbuild', 'build', '--progress=plain', '--output', `type=local,dest=${out}`, '.'], env, dir)
    t.equal(viaPlugin.exitCode, 0, 'docker -H … dbuild build: global flags stripped and honoured', {output: viaPlugin.all})
    t.match(viaPlugin.all, /dbuild: context staged/, 'docker dbuild build stages')
    t.equal((statSync(path.join(out, 'ctx/hello.txt')).mode & 0o777).toString(8), '644', 'canonical modes in the result')

    const before = await docker(
      ['-H', host, 'build', '--progress=plain', '--output', `type=local,dest=${path.join(root, 'out-plain')}`, '.'],
      env,
      dir,
    )
    t.equal(before.exitCode, 0, 'plain docker build', {output: before.all})
    t.notMatch(before.all, /dbuild:/, 'without the alias docker build is plain buildx')

    const alias = await dbuild(['docker', 'install', '--alias'], env)
    t.equal(alias.exitCode, 0, 'dbuild docker install --alias', {output: alias.all})
    t.match(JSON.parse(readFileSync(config, 'utf8')), {
      aliases: {builder: 'dbuild'},
      auths: {'registry.example.com': {}},
      psFormat: 'table {{.ID}}',
    })
    t.equal(statSync(config).mode & 0o777, 0o600, 'config.json keeps its mode (it holds credentials)')
    const status = JSON.parse((await dbuild(['docker', 'status', '--json'], env)).stdout) as {installed: string; alias: string}
    t.match(status, {installed: 'current', alias: 'dbuild'}, 'dbuild docker status')

    const aliased = await docker(
      ['-H', host, 'build', '--progress=plain', '--output', `type=local,dest=${path.join(root, 'out-alias')}`, '.'],
      env,
      dir,
    )
    t.equal(aliased.exitCode, 0, 'docker build with the alias', {output: aliased.all})
    t.match(aliased.all, /dbuild: context staged/, 'plain docker build now stages')
    const imageBuild = await docker(
      ['-H', host, 'image', 'build', '--progress=plain', '--output', `type=local,dest=${path.join(root, 'out-image')}`, '.'],
      env,
      dir,
    )
    t.match(imageBuild.all, /dbuild: context staged/, 'docker image build too')
    // DOCKER_HOST is the default context's endpoint: `docker --context default` keeps it, plain and through dbuild
    const hostEnv = {...env, DOCKER_HOST: host}
    const plainDefault = await docker(
      [
        '--context',
        'default',
        'buildx',
        'build',
        '--progress=plain',
        '--output',
        `type=local,dest=${path.join(root, 'out-ctx-plain')}`,
        '.',
      ],
      hostEnv,
      dir,
    )
    t.equal(plainDefault.exitCode, 0, 'docker --context default buildx build reaches DOCKER_HOST', {output: plainDefault.all})
    for (const args of [['dbuild', 'build'], ['build']]) {
      const viaDefault = await docker(
        [
          '--context',
          'default',
          ...args,
          '--progress=plain',
          '--output',
          `type=local,dest=${path.join(root, `out-ctx-${args.length}`)}`,
          '.',
        ],
        hostEnv,
        dir,
      )
      t.equal(viaDefault.exitCode, 0, `docker --context default ${args.join(' ')} reaches DOCKER_HOST as plain buildx does`, {
        output: viaDefault.all,
      })
      t.match(viaDefault.all, /dbuild: context staged/)
    }
    const du = await docker(['-H', host, 'builder', 'du'], env, dir)
    t.equal(du.exitCode, 0, 'docker builder du goes to buildx unchanged', {output: du.all})
    t.match(du.all, /Total:/)

    const uninstall = await dbuild(['docker', 'uninstall'], env)
    t.equal(uninstall.exitCode, 0, 'dbuild docker uninstall', {output: uninstall.all})
    t.equal(readFileSync(config, 'utf8'), CONFIG, 'config.json restored byte for byte')
    t.equal(statSync(config).mode & 0o777, 0o600)
    t.notOk(existsSync(path.join(dockerConfig, 'cli-plugins', 'docker-dbuild')), 'the plugin is gone')
    t.match(
      (await docker(['-H', host, 'dbuild', 'build', '.'], env, dir)).all,
      /unknown|not a docker command/i,
      'docker dbuild no longer exists',
    )
  })

  t.test('uninstall: no config.json before means none after; one changed since keeps the change', async (t) => {
    const fresh = path.join(root, 'fresh-config')
    const env = envFor(fresh)
    t.equal((await dbuild(['docker', 'install', '--alias'], env)).exitCode, 0)
    t.same(JSON.parse(readFileSync(path.join(fresh, 'config.json'), 'utf8')), {aliases: {builder: 'dbuild'}})
    await dbuild(['docker', 'uninstall'], env)
    t.notOk(existsSync(path.join(fresh, 'config.json')), 'the config.json dbuild created is removed')

    const changed = path.join(root, 'changed-config')
    writeConfig(path.join(changed, 'config.json'))
    const changedEnv = envFor(changed)
    await dbuild(['docker', 'install', '--alias'], changedEnv)
    // docker rewrites config.json on login or `docker context use`
    const later = JSON.parse(readFileSync(path.join(changed, 'config.json'), 'utf8')) as Record<string, unknown>
    writeFileSync(path.join(changed, 'config.json'), `${JSON.stringify({...later, currentContext: 'default'}, null, '\t')}\n`)
    const removed = await dbuild(['docker', 'uninstall', '--json'], changedEnv)
    t.match(JSON.parse(removed.stdout), {config: 'edited'})
    const after = JSON.parse(readFileSync(path.join(changed, 'config.json'), 'utf8')) as {
      aliases?: Record<string, string>
      currentContext?: string
    }
    t.equal(after.currentContext, 'default', "docker's later change is kept")
    t.notOk(after.aliases?.builder, 'only the alias is taken out')
  })

  t.test('dbuild setup --yes installs the plugin', async (t) => {
    const dockerConfig = path.join(root, 'setup-config')
    const dir = await project('setup')
    const setup = await dbuild(['setup', '--yes', '--json'], {...envFor(dockerConfig), DOCKER_HOST: host}, dir)
    const report = JSON.parse(setup.stdout) as {dockerPlugin?: {action: string}}
    t.equal(report.dockerPlugin?.action, 'installed', 'setup --yes installed it', {output: setup.all})
    t.ok(existsSync(path.join(dockerConfig, 'cli-plugins', 'docker-dbuild')))
    const again = JSON.parse((await dbuild(['setup', '--yes', '--json'], {...envFor(dockerConfig), DOCKER_HOST: host}, dir)).stdout) as {
      dockerPlugin?: {action: string}
    }
    t.equal(again.dockerPlugin?.action, 'kept', 'and keeps it on the next run')
  })
}

function writeConfig(config: string): void {
  mkdirSync(path.dirname(config), {recursive: true})
  writeFileSync(config, CONFIG, {mode: 0o600})
  chmodSync(config, 0o600)
}
