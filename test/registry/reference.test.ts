/** References as docker normalizes them, challenges as registries send them, the fallback tag. */
import t from 'tap'

import {parseChallenge} from '../../src/registry/client.js'
import {fallbackTag} from '../../src/registry/context-artifact.js'
import {apiHost, isLoopback, parseReference} from '../../src/registry/reference.js'

t.test('parseReference normalizes as docker does', async (t) => {
  t.same(parseReference('node'), {registry: 'docker.io', repository: 'library/node'})
  t.same(parseReference('node:20'), {registry: 'docker.io', repository: 'library/node', tag: '20'})
  t.same(parseReference('org/app:1.0'), {registry: 'docker.io', repository: 'org/app', tag: '1.0'})
  t.same(parseReference('docker.io/library/node'), {registry: 'docker.io', repository: 'library/node'})
  t.same(parseReference('index.docker.io/node'), {registry: 'docker.io', repository: 'library/node'})
  t.same(parseReference('localhost/app'), {registry: 'localhost', repository: 'app'})
  t.same(parseReference('localhost:5000/team/app:ci'), {registry: 'localhost:5000', repository: 'team/app', tag: 'ci'})
  t.same(parseReference('ghcr.io/o/a@sha256:' + 'a'.repeat(64)), {
    registry: 'ghcr.io',
    repository: 'o/a',
    digest: 'sha256:' + 'a'.repeat(64),
  })
  t.same(parseReference('[::1]:5000/app:x'), {registry: '[::1]:5000', repository: 'app', tag: 'x'})
  t.equal(parseReference('App'), undefined, 'upper case')
  t.equal(parseReference('a:b:c'), undefined)
  t.equal(parseReference('app@sha256:short'), undefined)
  t.equal(parseReference('app\n:x'), undefined)
})

t.test('hosts', async (t) => {
  t.equal(apiHost('docker.io'), 'registry-1.docker.io')
  t.equal(apiHost('ghcr.io'), 'ghcr.io')
  for (const host of ['localhost', 'localhost:5000', '127.0.0.1:5000', '127.1.2.3', '[::1]:5000']) t.ok(isLoopback(host), host)
  for (const host of ['ghcr.io', '10.0.0.1:5000', 'localhost.example.com']) t.notOk(isLoopback(host), host)
})

t.test('WWW-Authenticate challenges', async (t) => {
  t.same(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/node:pull"'), {
    scheme: 'bearer',
    params: {realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/node:pull'},
  })
  t.same(parseChallenge('Basic realm="dbuild-test"'), {scheme: 'basic', params: {realm: 'dbuild-test'}})
  t.same(parseChallenge('Bearer realm=https://x/token, service=x'), {scheme: 'bearer', params: {realm: 'https://x/token', service: 'x'}})
  t.equal(parseChallenge(null), undefined)
})

t.test('the referrers fallback tag', async (t) => {
  t.equal(fallbackTag('sha256:' + 'ab'.repeat(32)), 'sha256-' + 'ab'.repeat(32))
})
