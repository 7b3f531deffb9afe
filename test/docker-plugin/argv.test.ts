/** What docker-dbuild makes of the argv the docker CLI hands it: global flags → environment, then dbuild or buildx. */
import path from 'node:path'

import t from 'tap'

import {pluginCommand} from '../../src/docker-plugin/argv.js'
import {ExitCode} from '../../src/exit-codes.js'
import {COMMAND_IDS} from '../../src/main.js'
import {tempDir, writeTree} from '../helpers/index.js'

const BASE: NodeJS.ProcessEnv = {PATH: '/usr/bin', DOCKER_HOST: 'unix:///run/docker.sock'}
const plugin = (argv: string[], env = BASE) => pluginCommand(argv, env, COMMAND_IDS)

t.test('the plugin name and global flags are stripped; the flags become the environment', async (t) => {
  t.match(plugin(['dbuild', 'build', '-t', 'x', '.']), {
    kind: 'dbuild',
    argv: ['build', '-t', 'x', '.'],
    env: {DOCKER_HOST: 'unix:///run/docker.sock'},
  })
  t.match(plugin(['-H', 'tcp://10.0.0.2:2375', 'dbuild', 'build', '.']), {argv: ['build', '.'], env: {DOCKER_HOST: 'tcp://10.0.0.2:2375'}})
  t.match(plugin(['--host=ssh://b', 'dbuild', 'bake']), {argv: ['bake'], env: {DOCKER_HOST: 'ssh://b'}})
  const context = plugin(['--context', 'remote', '-D', '--log-level', 'debug', 'dbuild', 'doctor'])
  t.equal(context.env.DOCKER_CONTEXT, 'remote')
  t.notOk('DOCKER_HOST' in context.env, '--context wins over an inherited DOCKER_HOST, as in docker')
  t.equal(plugin(['-cother', 'dbuild']).env.DOCKER_CONTEXT, 'other', 'a short flag with its value attached')
  t.match(
    plugin(['--context', 'default', 'dbuild', 'build', '.']).env,
    {DOCKER_HOST: 'unix:///run/docker.sock'},
    'the default context is DOCKER_HOST itself: `docker --context default dbuild build` keeps it, as `docker --context default buildx build` does',
  )
  t.equal(plugin(['--config', '/tmp/dc', 'dbuild', 'build', '.']).env.DOCKER_CONFIG, '/tmp/dc')
  t.match(plugin(['--tls', '--tlsverify', 'dbuild', 'build', '.']).env, {DOCKER_TLS: '1', DOCKER_TLS_VERIFY: '1'})
  const certs = tempDir(t)
  writeTree(certs, {'ca.pem': '', 'cert.pem': '', 'key.pem': ''})
  t.equal(
    plugin(['--tlscacert', path.join(certs, 'ca.pem'), '--tlskey', path.join(certs, 'key.pem'), 'dbuild', 'build', '.']).env
      .DOCKER_CERT_PATH,
    certs,
  )
})

t.test('with the builder alias: build to dbuild, other builder subcommands to buildx unchanged', async (t) => {
  // docker/cli forwardBuilder: `docker build` → dbuild build, `docker builder prune` → dbuild prune
  t.match(plugin(['dbuild', 'build', '--no-cache', '.']), {kind: 'dbuild', argv: ['build', '--no-cache', '.']})
  t.match(plugin(['dbuild', 'prune', '-af']), {kind: 'docker', argv: ['buildx', 'prune', '-af']})
  t.match(plugin(['dbuild', 'du']), {kind: 'docker', argv: ['buildx', 'du']})
  t.match(plugin(['dbuild', '-t', 'x', '.']), {kind: 'dbuild', argv: ['-t', 'x', '.']}, "dbuild's bare build form")
  t.match(plugin(['dbuild', 'stage', '.']), {kind: 'dbuild', argv: ['stage', '.']}, "dbuild's own commands")
})

t.test('what docker would refuse is a usage error', async (t) => {
  t.throws(() => plugin(['--bogus', 'dbuild', 'build']), {exit: ExitCode.USAGE, message: /unknown docker global flag --bogus/})
  t.throws(() => plugin(['build', '.']), {exit: ExitCode.USAGE, message: /docker dbuild/})
  t.throws(() => plugin(['-H', 'tcp://a', '--context', 'b', 'dbuild']), {exit: ExitCode.USAGE, message: /both --host and --context/})
  t.throws(() => plugin(['--tlscert', '/x/mycert.crt', 'dbuild']), {exit: ExitCode.USAGE, message: /cert\.pem/})
})
