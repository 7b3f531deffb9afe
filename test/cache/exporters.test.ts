/** Which cache exporters a builder has: the table measured on buildx 0.13.1 and Docker Engine 26.1. */
import t from 'tap'

import {imageStoreFromLabels, parseBuildxInspect} from '../../src/buildx/inspect.js'
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
  const [entry, ...rest] = unsupportedCacheExports(['type=inline', 'type=registry,ref=r/app:cache'], {
    name: 'default',
    driver: 'docker',
    imageStore: 'graphdriver',
  })
  t.equal(rest.length, 0)
  t.equal(entry?.spec, 'type=registry,ref=r/app:cache')
  t.match(entry?.reason, /builder default \(driver docker, graphdriver image store\) cannot export a registry cache \(only inline\)/)
})

/** `docker buildx inspect` of the built-in builder as each engine prints it (GC policy lines cut; Docker 26.1 with buildx 0.13.1). */
const INSPECT = {
  graphdriver26: `Name:          default
Driver:        docker
Last Activity: 2026-12-04 16:07:11 +0000 UTC

Nodes:
Name:             default
Endpoint:         default
Status:           running
BuildKit version: v0.0.0+unknown
Platforms:        linux/amd64, linux/amd64/v2, linux/amd64/v3, linux/amd64/v4
Labels:
 org.mobyproject.buildkit.worker.moby.host-gateway-ip: <nil>
`,
  // Docker 28.5 (Debian forky) with buildx 0.29.1: the graphdriver worker reports no labels at all
  graphdriver28: `Name:   default
Driver: docker

Nodes:
Name:             default
Endpoint:         default
Status:           running
BuildKit version: v0.0.0+unknown
Platforms:        linux/amd64, linux/amd64/v2, linux/amd64/v3, linux/amd64/v4
GC Policy rule#0:
 All:            false
`,
  containerd28: `Name:   default
Driver: docker

Nodes:
Name:             default
Endpoint:         default
Status:           running
BuildKit version: v0.0.0+unknown
Platforms:        linux/amd64, linux/amd64/v2, linux/amd64/v3, linux/amd64/v4
Labels:
 org.mobyproject.buildkit.worker.containerd.namespace: moby
 org.mobyproject.buildkit.worker.executor:             containerd
 org.mobyproject.buildkit.worker.hostname:             vm
 org.mobyproject.buildkit.worker.snapshotter:          overlayfs
GC Policy rule#0:
 All:            false
`,
  // buildx 0.10 prints neither "BuildKit version:" nor the labels: the store cannot be told
  buildx010: `Name:   default
Driver: docker

Nodes:
Name:      default
Endpoint:  default
Status:    running
Buildkit:  23.0.1
Platforms: linux/amd64
`,
}

t.test('the image store as buildx tells it apart (the snapshotter label), from inspect text of each engine', async (t) => {
  const cases: Array<[keyof typeof INSPECT, string | undefined]> = [
    ['graphdriver26', 'graphdriver'],
    ['graphdriver28', 'graphdriver'],
    ['containerd28', 'containerd'],
    ['buildx010', undefined],
  ]
  for (const [name, store] of cases) t.equal(imageStoreFromLabels(parseBuildxInspect(INSPECT[name])), store, name)
  t.same(
    unsupportedCacheExports(['type=registry,ref=r/app:cache'], {driver: 'docker', imageStore: 'graphdriver'}).length,
    1,
    'Docker 28 graphdriver: dropped',
  )
})
