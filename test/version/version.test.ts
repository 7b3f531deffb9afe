/** The one version reader (src/version.ts) and the BuildKit each Docker Engine vendors, on the text each tool really prints. */
import t from 'tap'

import {vendoredBuildkit} from '../../src/buildx/engine-buildkit.js'
import {atLeast, older, parseVersion} from '../../src/version.js'

t.test('parseVersion on what buildx, BuildKit, dockerd and git print', async (t) => {
  const cases: Array<[string, string | undefined]> = [
    ['github.com/docker/buildx v0.13.1 788433953af10f2a698f5c07611dcf30b7d7e4c2', '0.13.1'],
    ['github.com/docker/buildx 0.13.1+ds1 0.13.1+ds1-3', '0.13.1'],
    ['github.com/docker/buildx 0.29.1+ds1 0.29.1+ds1-4', '0.29.1'],
    // a buildx built without version information: unknown, not 0.0.0
    ['github.com/docker/buildx v0.0.0+unknown ', undefined],
    ['v0.0.0+unknown', undefined],
    ['v0.25.2', '0.25.2'],
    ['28.5.2+dfsg4', '28.5.2'],
    ['git version 2.47.3', '2.47.3'],
    ['git version 2.54', '2.54.0'],
    // moby's vendor.mod: a pseudo-version is a commit after the release before it
    ['v0.10.7-0.20230412161310-d52b2d584242', '0.10.6'],
    ['37657a1', undefined],
    ['', undefined],
  ]
  for (const [text, version] of cases) t.equal(parseVersion(text)?.version, version, JSON.stringify(text))
  t.ok(older([0, 9, 9], [0, 10, 0]))
  t.notOk(older([0, 10, 0], [0, 10]))
  t.ok(atLeast([0, 25, 0], [0, 25, 0]))
})

t.test('the BuildKit a Docker Engine vendors (moby vendor.mod / go.mod at each release tag)', async (t) => {
  const cases: Array<[string, string | undefined, boolean?]> = [
    ['26.1.5+dfsg1', 'v0.13.2'],
    ['26.1.0', 'v0.13.1'],
    ['28.4.0', 'v0.24.0'],
    ['28.5.2+dfsg4', 'v0.25.2'],
    ['29.0.4', 'v0.25.2'],
    ['29.1.0', 'v0.26.2'],
    ['29.7.2', 'v0.32.2'],
    ['30.0.0', 'v0.32.2', true],
    ['20.10.24', undefined],
    ['v0.0.0+unknown', undefined],
  ]
  for (const [engine, buildkit, newer = false] of cases) {
    const found = vendoredBuildkit(engine)
    t.equal(found?.version, buildkit, engine)
    if (found) t.equal(found.atLeast, newer, `${engine}: ${newer ? 'at least' : 'exactly'}`)
  }
})
