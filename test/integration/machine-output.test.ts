/**
 * Machine-readable output passes through: with --progress rawjson (stderr is a JSON stream),
 * --progress=quiet / -q (stdout is the image id), --metadata-file, --iidfile and -o - (stdout is
 * a tar), what the caller reads from dbuild is what plain buildx gives it, and dbuild adds nothing.
 */
import {readFileSync} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'
import t from 'tap'

import {ROOT, useEngine, versionAtLeast} from '../engine/index.js'
import {cloneUnderUmask, gitRepo, tempDir} from '../helpers/index.js'
import {compareImages, readTar} from '../helpers/oracle.js'

const BIN = path.join(ROOT, 'bin', 'run.js')
const engine = useEngine(t)

interface Run {
  exitCode: number
  stdout: Buffer
  stderr: string
}

/**
 * What in `text` is not part of a stream of JSON values (rawjson writes them one after another,
 * indented): each top-level value is cut out by its braces, outside strings, and parsed.
 */
const notJson = (text: string): string[] => {
  const bad: string[] = []
  let depth = 0
  let start = -1
  let inString = false
  let escaped = false
  let stray = ''
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string
    if (inString) {
      if (escaped) escaped = false
      else if (c === '\\') escaped = true
      else if (c === '"') inString = false
      continue
    }
    if (depth === 0 && c !== '{') {
      if (/\S/.test(c)) stray += c
      else if (stray !== '') {
        bad.push(stray)
        stray = ''
      }
      continue
    }
    if (c === '"') inString = true
    else if (c === '{') {
      if (depth++ === 0) start = i
    } else if (c === '}' && --depth === 0) {
      try {
        JSON.parse(text.slice(start, i + 1))
      } catch {
        bad.push(text.slice(start, i + 1))
      }
    }
  }
  if (stray !== '') bad.push(stray)
  if (depth !== 0) bad.push(text.slice(start))
  return bad
}

/** The keys of a metadata file, one level down, with digests and times blanked: what a client reads. */
const shape = (file: string) => {
  const value = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
  return Object.keys(value).sort()
}

if (engine) {
  const root = tempDir(t, 'dbuild-machine-output-it-')
  const daemon = engine.graphdriver
  const cacheDir = path.join(root, 'cache')
  const buildx = engine.versions.buildx

  const run = async (builder: 'plain' | 'dbuild', args: string[], cwd: string, extra: NodeJS.ProcessEnv = {}): Promise<Run> => {
    const env: NodeJS.ProcessEnv = {...daemon.env, DBUILD_CACHE_DIR: cacheDir, NO_COLOR: '1', ...extra}
    delete env.CI
    const [command, argv] = builder === 'plain' ? ['docker', ['buildx', ...args]] : [process.execPath, [BIN, ...args]]
    const result = await execa(command, argv, {cwd, env, extendEnv: false, reject: false, encoding: 'buffer', timeout: 180_000})
    return {exitCode: result.exitCode ?? 1, stdout: Buffer.from(result.stdout), stderr: Buffer.from(result.stderr).toString('utf8')}
  }

  t.test('build and bake: rawjson, quiet, --metadata-file, --iidfile, -o -', async (t) => {
    const source = await gitRepo(path.join(root, 'source'), {
      Dockerfile: `FROM ${engine.baseImage}\nCOPY tree /tree/\n`,
      'tree/hello.txt': 'hello\n',
      'docker-bake.hcl': 'target "app" {\n  output = ["type=cacheonly"]\n}\n',
    })
    const checkout = await cloneUnderUmask(source, path.join(root, 'checkout'), '002')
    const out = (name: string) => path.join(checkout, name)

    const rawjson = versionAtLeast(buildx, '0.13')
    if (rawjson) {
      for (const builder of ['plain', 'dbuild'] as const) {
        const result = await run(
          builder,
          [
            'build',
            '--progress',
            'rawjson',
            '--metadata-file',
            out(`${builder}.meta.json`),
            '--iidfile',
            out(`${builder}.iid`),
            '-t',
            `machine-${builder}`,
            '--load',
            '.',
          ],
          checkout,
          {BUILDX_METADATA_WARNINGS: 'true'},
        )
        t.equal(result.exitCode, 0, `${builder}: build --progress rawjson`, {stderr: result.stderr})
        t.equal(result.stdout.length, 0, `${builder}: nothing on stdout`)
        t.same(notJson(result.stderr), [], `${builder}: stderr is the rawjson stream alone`)
        t.match(result.stderr, /"vertexes"/, `${builder}: with its vertexes`)
        t.match(readFileSync(out(`${builder}.iid`), 'utf8'), /^sha256:[0-9a-f]{64}$/, `${builder}: --iidfile holds the image id`)
      }
      t.same(shape(out('dbuild.meta.json')), shape(out('plain.meta.json')), '--metadata-file: the keys plain buildx writes')
    }

    for (const quiet of [['--progress=quiet'], ['-q']]) {
      const plain = await run('plain', ['build', ...quiet, '--load', '-t', 'machine-quiet', '.'], checkout)
      const ours = await run('dbuild', ['build', ...quiet, '--load', '-t', 'machine-quiet', '.'], checkout)
      t.equal(ours.exitCode, plain.exitCode, `${quiet.join(' ')}: plain buildx's exit code`, {plain: plain.stderr, ours: ours.stderr})
      t.equal(ours.stderr, plain.stderr, `${quiet.join(' ')}: stderr as plain buildx's`)
      const digestless = (bytes: Buffer) => bytes.toString('utf8').replace(/[0-9a-f]{64}/g, 'X')
      t.equal(digestless(ours.stdout), digestless(plain.stdout), `${quiet.join(' ')}: stdout as plain buildx's (the image id)`)
    }

    const tars = {plain: out('plain-stdout.tar'), dbuild: out('dbuild-stdout.tar')}
    const started = {plain: Date.now() / 1000, ours: 0}
    const plainTar = await run('plain', ['build', '--progress=plain', '-o', '-', '.'], checkout)
    started.ours = Date.now() / 1000
    const ourTar = await run('dbuild', ['build', '--progress=plain', '-o', '-', '.'], checkout)
    t.equal(ourTar.exitCode, 0, '-o -: dbuild builds', {stderr: ourTar.stderr})
    const {writeFileSync} = await import('node:fs')
    writeFileSync(tars.plain, plainTar.stdout)
    writeFileSync(tars.dbuild, ourTar.stdout)
    const entries = {plain: await readTar(tars.plain), ours: await readTar(tars.dbuild)}
    t.ok(
      entries.ours.some((entry) => entry.path === 'tree/hello.txt'),
      '-o -: stdout is the tar, read whole',
    )
    t.same(compareImages(entries.plain, entries.ours, {started}), [], '-o -: the tar plain buildx writes, modes aside')

    if (rawjson) {
      for (const builder of ['plain', 'dbuild'] as const) {
        const result = await run(
          builder,
          ['bake', '--progress', 'rawjson', '--metadata-file', out(`${builder}.bake.json`), 'app'],
          checkout,
        )
        t.equal(result.exitCode, 0, `${builder}: bake --progress rawjson`, {stderr: result.stderr})
        t.equal(result.stdout.length, 0, `${builder} bake: nothing on stdout`)
        t.same(notJson(result.stderr), [], `${builder} bake: stderr is the rawjson stream alone`)
      }
      t.same(shape(out('dbuild.bake.json')), shape(out('plain.bake.json')), 'bake --metadata-file: the targets plain bake writes')
    }
  })

  t.test('a bake that fails (unreachable daemon, mistyped flag) under rawjson or quiet: buildx’s stderr alone', async (t) => {
    const checkout = await gitRepo(path.join(root, 'failing'), {
      Dockerfile: `FROM ${engine.baseImage}\n`,
      'docker-bake.hcl': 'target "app" {\n  output = ["type=cacheonly"]\n}\n',
    })
    const cases: Array<[string, string[], NodeJS.ProcessEnv]> = [
      ['an unreachable daemon', ['app'], {DOCKER_HOST: `unix://${path.join(root, 'no-such.sock')}`}],
      ['a mistyped flag', ['--pul', 'app'], {}],
    ]
    for (const progress of ['--progress=rawjson', '--progress=quiet']) {
      for (const [what, args, extra] of cases) {
        const plain = await run('plain', ['bake', progress, ...args], checkout, extra)
        const ours = await run('dbuild', ['bake', progress, ...args], checkout, extra)
        t.not(plain.exitCode, 0, `${progress}, ${what}: plain bake fails`)
        t.equal(ours.exitCode, plain.exitCode, `${progress}, ${what}: plain bake’s exit code`)
        t.notMatch(ours.stderr, /^dbuild:/m, `${progress}, ${what}: no line of dbuild’s own`, {stderr: ours.stderr})
        t.equal(ours.stdout.length, plain.stdout.length, `${progress}, ${what}: stdout as plain bake’s`)
      }
    }
  })
}
