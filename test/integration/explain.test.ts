/**
 * dbuild explain against the real engine: a CI-like build pushes an image with the context digest
 * as an annotation and writes its manifest; on another checkout (another umask, one edited file)
 * explain names the COPY line that will miss, and the real build then shows that line as the first
 * step that is not cached. An unchanged checkout is explained as the same and builds fully cached.
 */
import path from 'node:path'

import {execa} from 'execa'
import t from 'tap'

import {ROOT, useEngine} from '../engine/index.js'
import {cachedSteps, cloneUnderUmask, gitRepo, tempDir, uniqueName} from '../helpers/index.js'
import {writeFileSync} from 'node:fs'

const BIN = path.join(ROOT, 'bin', 'run.js')
const engine = useEngine(t)

/** `[i/n] INSTRUCTION` of each step of --progress=plain output, in the Dockerfile's order. */
function dockerfileSteps(output: string): string[] {
  const steps = new Map<number, string>()
  for (const match of output.matchAll(/^#\d+ (\[(?:[\w-]+ )?(\d+)\/\d+\] .*)$/gm)) steps.set(Number(match[2]), match[1] as string)
  return [...steps.entries()].sort(([a], [b]) => a - b).map(([, name]) => name)
}

/** The first step BuildKit did not report as CACHED (FROM, step 1, resolves the image and is never cached). */
function firstUncached(output: string): string | undefined {
  const cached = new Set(cachedSteps(output))
  return dockerfileSteps(output).find((step) => !/^\[(?:[\w-]+ )?1\/\d+\]/.test(step) && !cached.has(step))
}

async function registryAnnotations(registry: string, repository: string, tag: string): Promise<Record<string, string>> {
  const accept = 'application/vnd.oci.image.index.v1+json,application/vnd.oci.image.manifest.v1+json'
  const top = (await (await fetch(`http://${registry}/v2/${repository}/manifests/${tag}`, {headers: {Accept: accept}})).json()) as {
    manifests?: Array<{digest: string; platform?: {os: string}}>
    annotations?: Record<string, string>
  }
  const image = top.manifests?.find((entry) => entry.platform?.os !== 'unknown')
  if (!image) return top.annotations ?? {}
  const manifest = (await (
    await fetch(`http://${registry}/v2/${repository}/manifests/${image.digest}`, {headers: {Accept: accept}})
  ).json()) as {annotations?: Record<string, string>}
  return manifest.annotations ?? {}
}

if (engine) {
  const root = tempDir(t, 'dbuild-explain-engine-')
  const daemon = engine.containerd
  const env: NodeJS.ProcessEnv = {...daemon.env, DBUILD_CACHE_DIR: path.join(root, 'cache'), NO_COLOR: '1'}
  delete env.CI
  // in the first file copied, so no step of an earlier run of this test is in the cache
  const marker = uniqueName('explain')
  const dockerfile = [
    `FROM ${engine.localBaseImage}`,
    'COPY config/ /config/',
    'RUN cat /config/app.conf',
    'COPY src/ /src/',
    'RUN ls /src',
    '',
  ].join('\n')

  t.test('the line explain names is the first step the real build does not take from the cache', async (t) => {
    const source = await gitRepo(path.join(root, 'source'), {
      Dockerfile: dockerfile,
      '.dockerignore': '.git\n',
      'config/app.conf': `port=80 ${marker}\n`,
      'src/a.txt': 'alpha\n',
      'src/b.txt': 'beta\n',
    })
    const ci = await cloneUnderUmask(source, path.join(root, 'ci'), '022')
    const manifest = path.join(root, 'ci.jsonl')
    const repository = uniqueName('dbuild-explain')
    const image = `${engine.registry}/${repository}:ci`
    const first = await execa(
      process.execPath,
      [BIN, 'build', '--network=host', '--progress=plain', '--manifest', manifest, '--push', '-t', image, '.'],
      {cwd: ci, env, reject: false, all: true},
    )
    t.equal(first.exitCode, 0, 'the CI build succeeds', {output: first.all})
    t.match(first.all, /manifest written to/)
    const stage = await execa(process.execPath, [BIN, 'stage', '.', '--json'], {cwd: ci, env})
    const digest = (JSON.parse(stage.stdout) as {digest: string}).digest
    t.same(
      await registryAnnotations(engine.registry, repository, 'ci'),
      {'dev.dbuild.context.digest': digest},
      'the pushed image carries the context digest as a manifest annotation',
    )

    await t.test('an unchanged checkout under another umask: nothing differs, every step cached', async (t) => {
      const dev = await cloneUnderUmask(source, path.join(root, 'same'), '002')
      const explained = await execa(process.execPath, [BIN, 'explain', '--against', manifest, dev], {env, reject: false})
      t.equal(explained.exitCode, 0, explained.stdout)
      const build = await execa(process.execPath, [BIN, 'build', '--network=host', '--progress=plain', '.'], {
        cwd: dev,
        env,
        reject: false,
        all: true,
      })
      t.equal(build.exitCode, 0, 'builds', {output: build.all})
      t.equal(firstUncached(build.all), undefined, 'every step is cached', {
        steps: dockerfileSteps(build.all),
        cached: cachedSteps(build.all),
      })
    })

    await t.test('one edited file: explain names its COPY, and the build misses exactly there', async (t) => {
      const dev = await cloneUnderUmask(source, path.join(root, 'edited'), '002')
      // unique content: no earlier run of this test may have cached this COPY
      writeFileSync(path.join(dev, 'src/b.txt'), `beta, edited ${marker}\n`)
      const explained = await execa(process.execPath, [BIN, 'explain', '--against', manifest, dev, '--json'], {env, reject: false})
      t.equal(explained.exitCode, 1)
      const report = JSON.parse(explained.stdout) as {firstMiss: {line: number; text: string}; differences: Array<{path: string}>}
      t.same(
        report.differences.map((d) => d.path),
        ['src/b.txt'],
      )
      t.same({line: report.firstMiss.line, text: report.firstMiss.text}, {line: 4, text: 'COPY src/ /src/'})
      const build = await execa(process.execPath, [BIN, 'build', '--network=host', '--progress=plain', '.'], {
        cwd: dev,
        env,
        reject: false,
        all: true,
      })
      t.equal(build.exitCode, 0, 'builds', {output: build.all})
      t.match(firstUncached(build.all), /^\[\d+\/\d+\] COPY src\/ \/src\/$/, 'the first step not cached is the line explain named', {
        steps: dockerfileSteps(build.all),
        cached: cachedSteps(build.all),
      })
    })
  })
}
