/** doctor's checks are pure functions of probe results: tables of probes → status, detail, fix. */
import t from 'tap'

import {
  type BuilderProbe,
  type Check,
  checkBuilder,
  checkCacheExports,
  checkConfig,
  checkDaemon,
  checkDockerCli,
  checkHooks,
  checkImageStore,
  checkRegistry,
  checkUmask,
  checkWorkTreeModes,
  type DaemonProbe,
  formatChecks,
  imageStoreOf,
  parseBuildxInspect,
  registryHost,
  runChecks,
} from '../../src/doctor/index.js'
import type {HookReport} from '../../src/hook/index.js'

const CONTAINERD_INFO: DaemonProbe = {
  ok: true,
  version: '29.1.3',
  driver: 'overlayfs',
  driverStatus: [['driver-type', 'io.containerd.snapshotter.v1']],
}
const GRAPHDRIVER_INFO: DaemonProbe = {
  ok: true,
  version: '26.1.5',
  driver: 'overlay2',
  driverStatus: [
    ['Backing Filesystem', 'extfs'],
    ['Supports d_type', 'true'],
  ],
}
const DOWN: DaemonProbe = {ok: false, error: 'Cannot connect to the Docker daemon'}
const DOCKER_BUILDER: BuilderProbe = {
  ok: true,
  name: 'default',
  driver: 'docker',
  status: 'running',
  labels: {'org.mobyproject.buildkit.worker.moby.host-gateway-ip': '<nil>'},
}
const CONTAINERD_BUILDER: BuilderProbe = {
  ...DOCKER_BUILDER,
  buildkitVersion: 'v0.26.2',
  labels: {'org.mobyproject.buildkit.worker.executor': 'containerd', 'org.mobyproject.buildkit.worker.snapshotter': 'overlayfs'},
}
const CONTAINER_BUILDER: BuilderProbe = {
  ok: true,
  name: 'ci',
  driver: 'docker-container',
  status: 'running',
  buildkitVersion: 'v0.13.2',
  labels: {'org.mobyproject.buildkit.worker.executor': 'oci', 'org.mobyproject.buildkit.worker.snapshotter': 'overlayfs'},
}
const NO_BUILDER: BuilderProbe = {ok: false, labels: {}, error: 'no builder'}

t.test("imageStoreOf: docker info first, then the built-in builder's worker labels", async (t) => {
  const table: Array<[string, DaemonProbe, BuilderProbe, string | undefined]> = [
    ['containerd driver-type', CONTAINERD_INFO, DOCKER_BUILDER, 'containerd'],
    ['graphdriver', GRAPHDRIVER_INFO, DOCKER_BUILDER, 'graphdriver'],
    ['daemon info wins over labels', GRAPHDRIVER_INFO, CONTAINERD_BUILDER, 'graphdriver'],
    ['no info: containerd labels', DOWN, CONTAINERD_BUILDER, 'containerd'],
    ['no info: moby worker labels', DOWN, DOCKER_BUILDER, 'graphdriver'],
    ['no info: docker-container labels say nothing about the daemon', DOWN, CONTAINER_BUILDER, undefined],
    ['nothing known', DOWN, NO_BUILDER, undefined],
    // --builder naming another context's builder (a remote daemon): docker info describes the local one
    ['a builder named with --builder: its labels win', GRAPHDRIVER_INFO, {...CONTAINERD_BUILDER, selected: true}, 'containerd'],
    ['a named builder without telling labels: docker info', CONTAINERD_INFO, {...DOCKER_BUILDER, labels: {}, selected: true}, 'containerd'],
  ]
  for (const [name, daemon, builder, expected] of table) t.equal(imageStoreOf(daemon, builder), expected, name)
})

t.test('checkImageStore explains COPY --link --chown=<name> for each worker', async (t) => {
  const table: Array<[string, DaemonProbe, BuilderProbe, Check['status'], RegExp]> = [
    ['containerd', CONTAINERD_INFO, CONTAINERD_BUILDER, 'warn', /^containerd, BuildKit v0\.26\.2: .*invalid user index: -1/],
    [
      'graphdriver',
      GRAPHDRIVER_INFO,
      DOCKER_BUILDER,
      'pass',
      /^graphdriver \(overlay2\): COPY --link --chown=<name> works here but fails on containerd/,
    ],
    [
      'docker-container builder',
      GRAPHDRIVER_INFO,
      CONTAINER_BUILDER,
      'warn',
      /daemon graphdriver; builds run in BuildKit's oci\/overlayfs \(driver docker-container, BuildKit v0\.13\.2\).*invalid user index/,
    ],
    ['unknown', DOWN, NO_BUILDER, 'warn', /^unknown/],
  ]
  for (const [name, daemon, builder, status, detail] of table) {
    const check = checkImageStore(daemon, builder)
    t.equal(check.status, status, `${name}: status`)
    t.match(check.detail, detail, `${name}: detail`)
    if (status !== 'pass') t.match(check.fix, /numeric ids|reachable/, `${name}: a fix`)
  }
})

const hooks = (state: HookReport['state'], outdated = false): HookReport[] =>
  (['post-checkout', 'post-merge', 'post-rewrite'] as const).map((name) => ({
    name,
    state,
    path: `/r/.git/hooks/${name}`,
    via: {kind: 'hooks-dir' as const},
    chained: false,
    ...(state === 'installed' ? {version: 'abcdef012345', outdated} : {}),
  }))

t.test('the simple checks: status and fix from a table', async (t) => {
  const table: Array<[string, Check, Check['status'], RegExp]> = [
    ['cli found', checkDockerCli({ok: true, version: '28.2.2'}), 'pass', /docker 28\.2\.2/],
    ['cli missing', checkDockerCli({ok: false, error: 'spawn docker ENOENT'}), 'fail', /ENOENT/],
    ['daemon up', checkDaemon({...GRAPHDRIVER_INFO, endpoint: 'unix:///x.sock'}), 'pass', /26\.1\.5 at unix:\/\/\/x\.sock/],
    ['daemon down', checkDaemon({...DOWN, endpoint: 'ssh://build'}), 'fail', /not reachable at ssh:\/\/build/],
    ['builder running', checkBuilder(CONTAINER_BUILDER), 'pass', /ci \(driver docker-container, BuildKit v0\.13\.2\)/],
    ['builder inactive', checkBuilder({...CONTAINER_BUILDER, status: 'inactive'}), 'warn', /is inactive/],
    ['builder error', checkBuilder(NO_BUILDER), 'fail', /no builder/],
    ['umask 022', checkUmask('022', undefined), 'pass', /^022/],
    ['umask 002, no hooks', checkUmask('002', hooks('missing')), 'warn', /^002: git writes/],
    ['umask 002, hooks installed', checkUmask('002', hooks('installed')), 'pass', /hooks fix them/],
    ['umask 002, hooks outdated', checkUmask('002', hooks('installed', true)), 'warn', /^002/],
    ['modes canonical', checkWorkTreeModes({files: 3, wrong: []}), 'pass', /3 tracked file/],
    [
      'modes drift',
      checkWorkTreeModes({files: 3, wrong: [{path: 'a\nb', mode: '664', want: '644'}]}),
      'warn',
      /1 path\(s\).*"a\\nb" 664≠644/,
    ],
    ['not in git', checkWorkTreeModes(undefined), 'warn', /not in a git work tree/],
    ['hooks installed', checkHooks(hooks('installed')), 'pass', /post-checkout installed/],
    ['hooks foreign', checkHooks(hooks('foreign')), 'warn', /post-merge foreign/],
    ['config valid', checkConfig({path: '/r/.dbuild.json'}), 'pass', /valid/],
    ['config missing', checkConfig({}), 'warn', /none found/],
    ['config missing outside git: no setup advice', checkConfig({inGitWorkTree: false}), 'warn', /not in a git work tree/],
    ['config broken', checkConfig({error: '/r/.dbuild.json:3: invalid JSON: ValueExpected'}), 'fail', /\.dbuild\.json:3: invalid JSON/],
    [
      'config refused',
      checkConfig({
        inGitWorkTree: true,
        refused: {path: '/r/.dbuild.json', reason: 'its directory /r is writable by every user', fix: 'chmod o-w'},
      }),
      'warn',
      /^\/r\/\.dbuild\.json was found and refused: its directory \/r is writable by every user$/,
    ],
    ['registry 401', checkRegistry({host: 'ghcr.io', specs: [], reachable: true, detail: 'GET https://ghcr.io/v2/ → 401'}), 'pass', /401/],
    ['registry offline', checkRegistry({host: 'ghcr.io', specs: [], reachable: 'unknown', detail: 'ENOTFOUND'}), 'warn', /^unknown/],
    ['registry down', checkRegistry({host: 'r:5000', specs: [], reachable: false, detail: 'ECONNREFUSED'}), 'warn', /^not reachable/],
  ]
  for (const [name, check, status, detail] of table) {
    t.equal(check.status, status, `${name}: status`)
    t.match(check.detail, detail, `${name}: detail`)
    t.equal(check.fix === undefined, status === 'pass', `${name}: a fix exactly when not passing`)
  }
})

t.test('registryHost: the registry of a --cache-from spec', async (t) => {
  const table: Array<[string, string | undefined]> = [
    ['type=registry,ref=ghcr.io/org/app:cache', 'ghcr.io'],
    ['type=registry,ref=127.0.0.1:5000/app:{branch}', '127.0.0.1:5000'],
    ['ref=localhost/app,type=registry', 'localhost'],
    ['registry.example.com/app:cache', 'registry.example.com'],
    ['org/app:cache', 'registry-1.docker.io'],
    ['type=registry,ref=app', 'registry-1.docker.io'],
    ['type=local,src=/tmp/cache', undefined],
    ['type=gha', undefined],
  ]
  for (const [spec, host] of table) t.equal(registryHost(spec), host, spec)
})

t.test('parseBuildxInspect reads both the new and old layouts', async (t) => {
  const containerd = `Name:          default
Driver:        docker
Last Activity: 2026-11-23 14:31:55 +0000 UTC

Nodes:
Name:             default
Endpoint:         default
Status:           running
BuildKit version: v0.26.2
Platforms:        linux/amd64
Labels:
 org.mobyproject.buildkit.worker.executor:             containerd
 org.mobyproject.buildkit.worker.snapshotter:          overlayfs
`
  t.same(parseBuildxInspect(containerd), {
    name: 'default',
    driver: 'docker',
    status: 'running',
    buildkitVersion: 'v0.26.2',
    buildkitReported: 'v0.26.2',
    labels: {'org.mobyproject.buildkit.worker.executor': 'containerd', 'org.mobyproject.buildkit.worker.snapshotter': 'overlayfs'},
    labelsListed: true,
    endpoint: 'default',
  })
  t.same(parseBuildxInspect('Name: default\nDriver: docker\nBuildkit:  v0.20.2\n').buildkitVersion, 'v0.20.2', 'older buildx')
  t.equal(parseBuildxInspect('Name: default\nBuildKit version: v0.0.0+unknown\n').buildkitVersion, undefined, "Docker's built-in BuildKit")
  t.equal(
    parseBuildxInspect('Name: default\nBuildKit version: v0.0.0+unknown\n').buildkitReported,
    'v0.0.0+unknown',
    'the text as reported, for messages',
  )
  t.match(parseBuildxInspect('Name:          default\nDriver:        \nError:         Cannot connect\n'), {
    driver: undefined,
    error: 'Cannot connect',
  })
})

t.test('runChecks and formatChecks: one line per check, the fix under it, a summary', async (t) => {
  const checks = runChecks({
    cli: {ok: true, version: '28.2.2'},
    daemon: DOWN,
    buildx: {ok: true, version: '0.13.1'},
    builder: NO_BUILDER,
    umask: '002',
    modes: {files: 1, wrong: []},
    hooks: hooks('installed'),
    config: {path: '/r/.dbuild.json'},
    registries: [{host: 'ghcr.io', specs: ['type=registry,ref=ghcr.io/a'], reachable: true, detail: '401'}],
  })
  t.same(
    checks.map((c) => c.id),
    ['docker-cli', 'docker-daemon', 'buildx', 'builder', 'image-store', 'umask', 'work-tree-modes', 'hooks', 'config', 'registry:ghcr.io'],
  )
  const text = formatChecks(checks)
  t.match(text, /^FAIL {2}docker daemon +not reachable/m)
  t.match(text, /^ +fix: Start the docker daemon/m)
  t.match(text, /2 check\(s\) failed, 1 warning\(s\)$/)
})

t.test('checkConfig outside a git work tree does not send the user to setup (which refuses there)', async (t) => {
  const check = checkConfig({inGitWorkTree: false})
  t.notMatch(check.fix, /^Run dbuild setup/)
  t.match(check.fix, /inside your checkout/)
})

t.test("checkCacheExports: the config's cacheTo against the builder's exporters", async (t) => {
  const GRAPHDRIVER_DAEMON: DaemonProbe = {ok: true, driverStatus: [['Backing Filesystem', 'extfs']]}
  const CONTAINERD_DAEMON: DaemonProbe = {ok: true, driverStatus: [['driver-type', 'io.containerd.snapshotter.v1']]}
  const registry = ['type=registry,ref=r.example/app:cache,mode=max']
  const table: Array<[string, string[], DaemonProbe, BuilderProbe, Check['status'], RegExp]> = [
    ['no cacheTo', [], GRAPHDRIVER_DAEMON, DOCKER_BUILDER, 'pass', /no cacheTo/],
    [
      'registry on docker driver + graphdriver',
      registry,
      GRAPHDRIVER_DAEMON,
      DOCKER_BUILDER,
      'warn',
      /not exported by builder default \(driver docker, graphdriver image store\)/,
    ],
    ['bare reference is a registry cache', ['r.example/app:cache'], GRAPHDRIVER_DAEMON, DOCKER_BUILDER, 'warn', /not exported/],
    ['inline on docker driver + graphdriver', ['type=inline'], GRAPHDRIVER_DAEMON, DOCKER_BUILDER, 'pass', /exports type=inline/],
    ['registry on docker driver + containerd', registry, CONTAINERD_DAEMON, CONTAINERD_BUILDER, 'pass', /exports/],
    ['s3 on docker driver + containerd', ['type=s3,region=x,bucket=y'], CONTAINERD_DAEMON, CONTAINERD_BUILDER, 'warn', /type=s3/],
    ['registry on docker-container', registry, GRAPHDRIVER_DAEMON, CONTAINER_BUILDER, 'pass', /docker-container/],
    ['builder unreachable', registry, GRAPHDRIVER_DAEMON, NO_BUILDER, 'warn', /cannot tell/],
  ]
  for (const [name, cacheTo, daemon, builder, status, detail] of table) {
    const check = checkCacheExports({cacheTo}, daemon, builder)
    t.equal(check.status, status, `${name}: ${status}`)
    t.match(check.detail, detail, `${name}: detail`)
    if (status === 'warn' && builder.ok) t.match(check.fix, /docker-container.*type=inline/, `${name}: the fix names both ways out`)
  }
})
