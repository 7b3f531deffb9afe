/** Which cache exporters a builder has: the table measured on buildx 0.13.1 and Docker Engine 26.1. */
import t from 'tap'

import {cacheType, supportedCacheExports, unsupportedCacheExports} from '../../src/cache/exporters.js'

t.test('cacheType as buildx reads a spec', async (t) => {
  const cases: Array<[string, string]> = [
    ['user/app:cache', 'registry'],
    ['type=registry,ref=r/app:cache', 'registry'],
    ['ref=r/app:cache,type=local', 'local'],
    ['type=inline', 'inline'],
    ['mode=max,ref=r/app:cache', 'registry'],
    [' type=gha ', 'gha'],
  ]
  for (const [spec, type] of cases) t.equal(cacheType(spec), type, spec)
})

t.test('exporters by driver and image store', async (t) => {
  t.same(supportedCacheExports({driver: 'docker', imageStore: 'graphdriver'}), ['inline'])
  t.same(supportedCacheExports({driver: 'docker', imageStore: 'containerd'}), ['inline', 'registry', 'local', 'gha'])
  t.equal(supportedCacheExports({driver: 'docker-container'}), undefined, 'BuildKit itself: every type')
  t.equal(supportedCacheExports({driver: 'remote'}), undefined)
  t.equal(supportedCacheExports({driver: 'docker'}), undefined, 'an unknown store is not called limited')
})

t.test('an unsupported cacheTo is named with the builder and the fix', async (t) => {
  const [entry, ...rest] = unsupportedCacheExports(['type=inline', 'type=registry,ref=r/app:cache'], {name: 'default', driver: 'docker', imageStore: 'graphdriver'})
  t.equal(rest.length, 0)
  t.equal(entry?.spec, 'type=registry,ref=r/app:cache')
  t.match(entry?.reason, /builder default \(driver docker, graphdriver image store\) cannot export a registry cache \(only inline\)/)
})
