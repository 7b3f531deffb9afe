import t from 'tap'

import {shimCommand} from '../../src/docker-plugin/buildx-shim-argv.js'

t.test('the shim argv: docker form, direct form, aliases and docker global flags', async (t) => {
  const env = {HOME: '/home/u', DOCKER_HOST: 'unix:///env.sock'}
  t.same(shimCommand(['buildx', 'build', '.'], env).argv, ['build', '.'], 'started by docker')
  t.same(
    shimCommand(['bake', '--file', '-', '--progress', 'rawjson'], env).argv,
    ['bake', '--file', '-', '--progress', 'rawjson'],
    'started by Compose',
  )
  t.same(shimCommand(['buildx', 'b', '-t', 'x', '.'], env).argv, ['build', '-t', 'x', '.'], 'b is build')
  t.same(shimCommand(['buildx', 'f', 'app'], env).argv, ['bake', 'app'], 'f is bake')
  t.same(
    shimCommand(['buildx', '--builder', 'b', 'build', '.'], env).argv,
    ['--builder', 'b', 'build', '.'],
    "a builder named b is --builder's value, not the command",
  )
  t.same(shimCommand(['--builder', 'f', 'bake'], env).argv, ['--builder', 'f', 'bake'], 'the same run directly')
  const hosted = shimCommand(['-H', 'unix:///flag.sock', 'buildx', 'build', '.'], env)
  t.equal(hosted.env.DOCKER_HOST, 'unix:///flag.sock', "docker's --host becomes DOCKER_HOST")
  t.same(hosted.argv, ['build', '.'])
  t.equal(shimCommand(['bake', 'buildx'], env).env.DOCKER_HOST, 'unix:///env.sock', 'a target named buildx is no docker form')
  t.same(shimCommand(['bake', 'buildx'], env).argv, ['bake', 'buildx'])
})
