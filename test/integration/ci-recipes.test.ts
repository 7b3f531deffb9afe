/**
 * The README's CI recipes: their shell lines live in examples/ci/ (the README holds the same bytes,
 * as sh blocks and indented in the YAML), and run here against the current engine as a job runs
 * them, in a umask 002 clone: install dbuild with npm and the shim, then `docker compose build` and
 * GitLab's `docker buildx build … --push` with a registry cache, both through dbuild.
 */
import {readFileSync} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'
import t from 'tap'

import {ROOT, useEngine} from '../engine/index.js'
import {cloneUnderUmask, gitRepo, tempDir, uniqueName, writeTree} from '../helpers/index.js'

const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8')
const recipe = (name: string) => readFileSync(path.join(ROOT, 'examples', 'ci', name), 'utf8')
const INSTALL = recipe('install-dbuild.sh')
const GITLAB = recipe('gitlab-build.sh')
const indented = (text: string) => text.replace(/^(?=.)/gm, '      ')
const count = (text: string, part: string) => text.split(part).length - 1

t.test('the README holds the recipe files byte for byte', async (t) => {
  const section = /^### In CI: [^\n]*\n([\s\S]*?)^## /m.exec(README)?.[1] ?? ''
  t.ok(section, 'README.md has the "In CI" section')
  t.equal(count(section, `\`\`\`sh\n${INSTALL}\`\`\`\n`), 1, 'examples/ci/install-dbuild.sh as an sh block')
  t.equal(count(section, `\`\`\`sh\n${GITLAB}\`\`\`\n`), 1, 'examples/ci/gitlab-build.sh as an sh block')
  t.equal(count(section, `    run: |\n${indented(INSTALL)}`), 1, 'the install lines in the GitHub Actions run step')
  t.equal(
    count(section, `    - |\n${indented(INSTALL)}  script:\n    - |\n${indented(GITLAB)}\`\`\``),
    1,
    "and in GitLab's before_script, the build lines in its script",
  )
})

const engine = useEngine(t)
// Compose 2.40 is in the current engine only
if (engine?.flavor === 'current') {
  t.test("the recipe's lines run as a job runs them", async (t) => {
    const root = tempDir(t, 'dbuild-ci-recipes-it-')
    const prefix = path.join(root, 'npm-global')
    const npm = (await execa('sh', ['-c', 'command -v npm'])).stdout.trim()
    // the package is this checkout: the recipe's `npm install --global dbuild` installs it from here, with npm itself
    writeTree(path.join(root, 'bin'), {
      npm: `#!/bin/sh\n[ "$*" = "install --global dbuild" ] && exec ${JSON.stringify(npm)} install --global --no-audit --no-fund ${JSON.stringify(ROOT)}\nexec ${JSON.stringify(npm)} "$@"\n`,
    })
    await execa('chmod', ['+x', path.join(root, 'bin', 'npm')])
    const daemon = engine.containerd
    const image = `${engine.registry}/${uniqueName('dbuild-ci-recipe')}`
    const env: NodeJS.ProcessEnv = {
      ...daemon.env,
      PATH: [path.join(root, 'bin'), path.join(prefix, 'bin'), path.dirname(process.execPath), daemon.env.PATH].join(':'),
      npm_config_prefix: prefix,
      DOCKER_CONFIG: engine.dockerConfig(path.join(root, 'docker-config')),
      DBUILD_CACHE_DIR: path.join(root, 'cache'),
      CI_REGISTRY_IMAGE: image,
      CI_COMMIT_SHORT_SHA: 'c0ffee12',
      NO_COLOR: '1',
    }
    delete env.CI
    delete env.DBUILD_BUILDX_SHIM
    const source = await gitRepo(path.join(root, 'source'), {
      // no RUN: the test engine has no bridge network, and the recipe's buildx line asks for none
      Dockerfile: `FROM ${engine.baseImage}\nCOPY app /app/\n`,
      'app/hello.txt': `hello ${image}\n`,
      'compose.yaml': `services:\n  app:\n    image: ${image}:compose\n    build:\n      context: .\n`,
    })
    const checkout = await cloneUnderUmask(source, path.join(root, 'checkout'), '002')
    const run = async (script: string) => {
      const result = await execa('sh', ['-e', '-c', script], {
        cwd: checkout,
        env,
        extendEnv: false,
        reject: false,
        all: true,
        timeout: 300_000,
      })
      return {exitCode: result.exitCode ?? 1, output: result.all ?? ''}
    }

    const install = await run(INSTALL)
    t.equal(install.exitCode, 0, 'install-dbuild.sh', {output: install.output})
    t.match(install.output, /buildx/i, 'dbuild docker status reports the shim')
    const status = await execa('dbuild', ['docker', 'status', '--json'], {cwd: checkout, env, extendEnv: false, reject: false})
    t.match(JSON.parse(status.stdout || '{}'), {buildx: {state: 'installed'}}, 'the shim is installed', {stderr: status.stderr})

    const build = await run(GITLAB)
    t.equal(build.exitCode, 0, 'gitlab-build.sh', {output: build.output})
    t.ok(build.output.includes(`${env.DBUILD_CACHE_DIR}/bake/`), 'docker compose build through dbuild', {output: build.output})
    t.ok(build.output.includes(`dbuild: context staged: ${env.DBUILD_CACHE_DIR}/stage/`), 'docker buildx build through dbuild', {
      output: build.output,
    })
    const accept = {
      accept:
        'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json',
    }
    const repository = image.slice(engine.registry.length + 1)
    t.equal(
      (await fetch(`http://${engine.registry}/v2/${repository}/manifests/c0ffee12`, {headers: accept})).status,
      200,
      'the image was pushed',
    )
    t.equal(
      (await fetch(`http://${engine.registry}/v2/${repository}/manifests/buildcache`, {headers: accept})).status,
      200,
      'and its registry cache',
    )
    const composed = await execa('docker', ['image', 'inspect', '--format', '{{.Id}}', `${image}:compose`], {
      env,
      extendEnv: false,
      reject: false,
    })
    t.match(composed.stdout, /^sha256:/, 'docker compose build made its image')
  })
}
