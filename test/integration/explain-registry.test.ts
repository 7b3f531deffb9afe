/**
 * The CI-to-laptop round trip through a real registry: a CI-style build pushed with dbuild attaches
 * its context manifest to the image, and `dbuild explain --against IMAGE` from a second clone finds
 * it by the image's name alone. Against the harness's plain-HTTP registry (no referrers API: the
 * tag fallback) with anonymous access, and against a registry of this test's own with htpasswd
 * (Basic) auth, credentials from docker's config.json and from a credential helper; no access, no
 * image, no manifest and no registry each give their exit code.
 */
import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'
import t from 'tap'

import {ExitCode} from '../../src/exit-codes.js'
import {ROOT, useEngine} from '../engine/index.js'
import {cloneUnderUmask, gitRepo, tempDir, uniqueName} from '../helpers/index.js'
import {freePort, startRegistry} from '../helpers/registry.js'

const BIN = path.join(ROOT, 'bin', 'run.js')
const engine = useEngine(t)

function dbuild(args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  return execa(process.execPath, [BIN, ...args], {cwd, env, reject: false, all: true})
}

if (engine) {
  const root = tempDir(t, 'dbuild-explain-registry-')
  const marker = uniqueName('regexplain')
  const dockerfile = [`FROM ${engine.localBaseImage}`, 'COPY config/ /config/', 'RUN cat /config/app.conf', 'COPY src/ /src/', ''].join(
    '\n',
  )
  const files = {
    Dockerfile: dockerfile,
    '.dockerignore': '.git\n',
    'config/app.conf': `port=80 ${marker}\n`,
    'src/a.txt': 'alpha\n',
    'docs/notes.md': 'notes\n',
  }

  for (const daemon of [engine.containerd, engine.graphdriver]) {
    t.test(`pushed from one clone, explained from another by the image's name (${daemon.store} store, ${engine.flavor})`, async (t) => {
      const env: NodeJS.ProcessEnv = {...daemon.env, DBUILD_CACHE_DIR: path.join(root, `cache-${daemon.store}`), NO_COLOR: '1', CI: 'true'}
      const source = await gitRepo(path.join(root, `source-${daemon.store}`), files)
      const ci = await cloneUnderUmask(source, path.join(root, `ci-${daemon.store}`), '022')
      const image = `${engine.registry}/${uniqueName('dbuild-explain-registry')}:ci`
      const pushed = await dbuild(['build', '--network=host', '--push', '-t', image, '.'], ci, env)
      t.equal(pushed.exitCode, 0, 'the CI build pushes', {output: pushed.all})
      t.match(
        pushed.all,
        /context manifest attached to .*referrers tag sha256-/,
        'the manifest went with the image, through the tag fallback',
      )

      const laptop: NodeJS.ProcessEnv = {...env}
      delete laptop.CI
      const dev = await cloneUnderUmask(source, path.join(root, `dev-${daemon.store}`), '002')
      const same = await dbuild(['explain', '--against', image], dev, laptop)
      t.equal(same.exitCode, 0, 'another umask: every step would hit', {output: same.all})
      t.match(same.stdout, /Nothing differs from .*dbuild-explain-registry.*@sha256:/)

      writeFileSync(path.join(dev, 'docs/notes.md'), 'notes, edited\n')
      const unread = await dbuild(['explain', '--against', image, '--json'], dev, laptop)
      t.equal(unread.exitCode, 0, 'a difference no instruction reads is listed and does not fail', {output: unread.all})
      const unreadReport = JSON.parse(unread.stdout) as {miss: boolean; differences: Array<{path: string; readBy: unknown[]}>}
      t.same(
        unreadReport.differences.map((d) => [d.path, d.readBy.length]),
        [['docs/notes.md', 0]],
      )
      t.equal(unreadReport.miss, false)

      writeFileSync(path.join(dev, 'src/a.txt'), 'alpha, edited\n')
      const edited = await dbuild(['explain', '--against', image, '--json'], dev, laptop)
      t.equal(edited.exitCode, ExitCode.FINDINGS, 'an edited file a COPY reads: a step would miss')
      const report = JSON.parse(edited.stdout) as {miss: boolean; firstMiss: {line: number; text: string}}
      t.same([report.miss, report.firstMiss.line, report.firstMiss.text], [true, 4, 'COPY src/ /src/'])
      const status = await execa('git', ['status', '--porcelain'], {cwd: dev})
      t.same(status.stdout.split('\n').sort(), [' M docs/notes.md', ' M src/a.txt'], 'explain wrote nothing into the work tree')
    })
  }

  t.test(`a registry --cache-to carries the manifest too (${engine.flavor})`, async (t) => {
    const daemon = engine.containerd
    const env: NodeJS.ProcessEnv = {...daemon.env, DBUILD_CACHE_DIR: path.join(root, 'cache-cacheto'), NO_COLOR: '1'}
    delete env.CI
    const source = await gitRepo(path.join(root, 'source-cacheto'), files)
    const ci = await cloneUnderUmask(source, path.join(root, 'ci-cacheto'), '022')
    const cacheRef = `${engine.registry}/${uniqueName('dbuild-cache')}:main`
    const built = await dbuild(['build', '--network=host', '--cache-to', `type=registry,ref=${cacheRef}`, '.'], ci, env)
    t.equal(built.exitCode, 0, 'builds and exports its cache', {output: built.all})
    t.match(built.all, /context manifest attached to .*dbuild-cache/, 'the manifest went to the cache ref')
    const dev = await cloneUnderUmask(source, path.join(root, 'dev-cacheto'), '002')
    const explained = await dbuild(['explain', '--against', cacheRef], dev, env)
    t.equal(explained.exitCode, 0, 'explained against the cache by its ref', {output: explained.all})
  })

  t.test(`--export-cache outside CI: the config's cacheTo carries the manifest (${engine.flavor})`, async (t) => {
    const daemon = engine.containerd
    const env: NodeJS.ProcessEnv = {...daemon.env, DBUILD_CACHE_DIR: path.join(root, 'cache-export'), NO_COLOR: '1'}
    delete env.CI
    const cacheRef = `${engine.registry}/${uniqueName('dbuild-export-cache')}:main`
    const source = await gitRepo(path.join(root, 'source-export'), {
      ...files,
      '.dbuild.json': JSON.stringify({cacheTo: [`type=registry,ref=${cacheRef}`]}),
    })
    const laptop = await cloneUnderUmask(source, path.join(root, 'laptop-export'), '022')
    const built = await dbuild(['build', '--network=host', '--export-cache', '.'], laptop, env)
    t.equal(built.exitCode, 0, 'builds and exports the cache the config names', {output: built.all})
    t.match(built.all, /context manifest attached to .*dbuild-export-cache/, 'the manifest went to the cache ref')
    const dev = await cloneUnderUmask(source, path.join(root, 'dev-export'), '002')
    const explained = await dbuild(['explain', '--against', cacheRef], dev, env)
    t.equal(explained.exitCode, 0, 'explained against the cache by its ref', {output: explained.all})
  })

  t.test(`bake --push attaches each target's manifest to its own image (${engine.flavor})`, async (t) => {
    const daemon = engine.containerd
    const env: NodeJS.ProcessEnv = {...daemon.env, DBUILD_CACHE_DIR: path.join(root, 'cache-bake'), NO_COLOR: '1'}
    delete env.CI
    const repository = uniqueName('dbuild-bake')
    const bake = [
      'target "app" {',
      '  dockerfile = "bake.Dockerfile"',
      `  tags = ["${engine.registry}/${repository}:app"]`,
      '}',
      'target "docs" {',
      '  context = "docs"',
      '  dockerfile-inline = "FROM scratch"',
      `  tags = ["${engine.registry}/${repository}:docs"]`,
      '}',
      'target "tools" {',
      '  context = "tools"',
      `  tags = ["${engine.registry}/${repository}:tools"]`,
      '}',
      '',
    ].join('\n')
    const tools = {'tools/Dockerfile': `FROM ${engine.localBaseImage}\nCOPY run.sh /run.sh\n`, 'tools/run.sh': `echo ${marker}\n`}
    // no RUN: bake would need --allow network.host on newer buildx, and the test daemons have no bridge
    const app = {'bake.Dockerfile': `FROM ${engine.localBaseImage}\nCOPY config/ /config/\nCOPY src/ /src/\n`}
    const source = await gitRepo(path.join(root, 'source-bake'), {...files, ...app, ...tools, 'docker-bake.hcl': bake})
    const ci = await cloneUnderUmask(source, path.join(root, 'ci-bake'), '022')
    const pushed = await dbuild(['bake', '--push', '--progress=plain', 'app', 'tools'], ci, env)
    t.equal(pushed.exitCode, 0, 'bake pushes both targets', {output: pushed.all})
    t.match(pushed.all, /target app: context manifest attached to/)
    t.match(pushed.all, /target tools: context manifest attached to/)

    const dev = await cloneUnderUmask(source, path.join(root, 'dev-bake'), '002')
    writeFileSync(path.join(dev, 'tools/run.sh'), 'echo edited\n')
    const appExplained = await dbuild(['explain', '--against', `${engine.registry}/${repository}:app`, '-f', 'bake.Dockerfile'], dev, env)
    t.equal(appExplained.exitCode, 0, "app's context is the same", {output: appExplained.all})
    const toolsExplained = await dbuild(['explain', '--against', `${engine.registry}/${repository}:tools`, 'tools', '--json'], dev, env)
    t.equal(toolsExplained.exitCode, ExitCode.FINDINGS, "tools' COPY would miss", {output: toolsExplained.all})
    t.equal((JSON.parse(toolsExplained.stdout) as {firstMiss: {line: number}}).firstMiss.line, 2)
  })

  t.test('a registry with htpasswd auth: docker config, credential helper, no access, no image, no manifest, no registry', async (t) => {
    const daemon = engine.containerd
    const {host: registry} = await startRegistry(t, {
      dir: path.join(root, 'auth-registry'),
      auth: {htpasswd: {user: 'ci', password: 's3cret'}},
    })
    const config = engine.dockerConfig(path.join(root, 'docker-config'))
    writeFileSync(
      path.join(config, 'config.json'),
      JSON.stringify({auths: {[registry]: {auth: Buffer.from('ci:s3cret').toString('base64')}}}),
    )
    const env: NodeJS.ProcessEnv = {
      ...daemon.env,
      DOCKER_CONFIG: config,
      DBUILD_CACHE_DIR: path.join(root, 'cache-auth'),
      NO_COLOR: '1',
      CI: 'true',
    }
    const source = await gitRepo(path.join(root, 'source-auth'), files)
    const ci = await cloneUnderUmask(source, path.join(root, 'ci-auth'), '022')
    const repository = uniqueName('dbuild-auth')
    const image = `${registry}/${repository}:ci`
    const pushed = await dbuild(['build', '--network=host', '--push', '-t', image, '.'], ci, env)
    t.equal(pushed.exitCode, 0, 'the CI build pushes with the credentials', {output: pushed.all})
    t.match(pushed.all, /context manifest attached to/)

    const laptop: NodeJS.ProcessEnv = {...env}
    delete laptop.CI
    const dev = await cloneUnderUmask(source, path.join(root, 'dev-auth'), '002')
    const explained = await dbuild(['explain', '--against', image], dev, laptop)
    t.equal(explained.exitCode, 0, 'found with the credentials of config.json', {output: explained.all})

    const helperConfig = engine.dockerConfig(path.join(root, 'docker-config-helper'))
    const bin = path.join(root, 'helper-bin')
    mkdirSync(bin, {recursive: true})
    const helper =
      `#!/bin/sh\nread server\n[ "$server" = "${registry}" ] || { echo "credentials not found in native keychain"; exit 1; }\n` +
      `echo '{"ServerURL":"${registry}","Username":"ci","Secret":"s3cret"}'\n`
    writeFileSync(path.join(bin, 'docker-credential-dbuildtest'), helper, {mode: 0o755})
    writeFileSync(path.join(helperConfig, 'config.json'), JSON.stringify({credsStore: 'dbuildtest'}))
    const viaHelper = await dbuild(['explain', '--against', image], dev, {
      ...laptop,
      DOCKER_CONFIG: helperConfig,
      PATH: `${bin}:${laptop.PATH}`,
    })
    t.equal(viaHelper.exitCode, 0, 'found with the credentials a credential helper gives', {output: viaHelper.all})

    const anonymous = engine.dockerConfig(path.join(root, 'docker-config-empty'))
    const refused = await dbuild(['explain', '--against', image], dev, {...laptop, DOCKER_CONFIG: anonymous})
    t.equal(refused.exitCode, ExitCode.NO_PERMISSION, 'no credentials: no access', {output: refused.all})
    t.match(refused.stderr, new RegExp(`refused .*${repository}:ci`), 'the message names the reference')
    t.match(refused.stderr, /docker login 127\.0\.0\.1:/)

    const missing = await dbuild(['explain', '--against', `${registry}/${repository}:nope`], dev, laptop)
    t.equal(missing.exitCode, ExitCode.NO_INPUT, 'no such tag', {output: missing.all})
    t.match(missing.stderr, new RegExp(`no image at .*${repository}:nope`))

    const plain = `${registry}/${repository}:plain`
    const plainPush = await execa('docker', ['buildx', 'build', '--network=host', '--push', '-t', plain, '.'], {
      cwd: ci,
      env,
      reject: false,
      all: true,
    })
    t.equal(plainPush.exitCode, 0, 'plain buildx pushes', {output: plainPush.all})
    const none = await dbuild(['explain', '--against', plain], dev, laptop)
    t.equal(none.exitCode, ExitCode.NO_INPUT, 'an image pushed without dbuild has no manifest', {output: none.all})
    t.match(none.stderr, new RegExp(`no dbuild context manifest is attached to .*${repository}:plain`))

    const gone = `127.0.0.1:${await freePort()}/${repository}:ci`
    const unreachable = await dbuild(['explain', '--against', gone], dev, laptop)
    t.equal(unreachable.exitCode, ExitCode.UNAVAILABLE, 'no registry there', {output: unreachable.all})
    t.match(unreachable.stderr, /cannot reach the registry of 127\.0\.0\.1:\d+\//)
  })
}
