/**
 * The frontend `--build-arg BUILDKIT_SYNTAX` picks, through the mirrors of .dbuild.json: BuildKit
 * reads that arg before any `# syntax=` line, so the build's own argv must carry the mirror. Asserted
 * on the command `dbuild build --dry-run` prints (exactly what buildx would get), and on what lint
 * and rewrite report, in a real git checkout.
 */
import {readFileSync} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'
import t from 'tap'

import {ROOT} from '../engine/index.js'
import {gitRepo, tempDir} from '../helpers/index.js'

const BIN = path.join(ROOT, 'bin', 'run.js')
const MIRROR = 'registry.example.com/mirror/dockerfile'
/** A Dockerfile pinned to a frontend (# syntax=docker/dockerfile:1.5), whose # syntax= line the arg overrides. */
const DOCKERFILE = '# syntax=docker/dockerfile:1.5\nFROM scratch\nCOPY cat-me cat-me\n'

async function checkout(t: Parameters<typeof tempDir>[0], config: object | undefined) {
  const dir = tempDir(t)
  const files: Record<string, string> = {Dockerfile: DOCKERFILE, 'cat-me': 'mow!\n', '.dockerignore': '.git\n'}
  if (config) files['.dbuild.json'] = JSON.stringify(config)
  const repo = await gitRepo(path.join(dir, 'repo'), files)
  const env: NodeJS.ProcessEnv = {...process.env, DBUILD_CACHE_DIR: path.join(dir, 'cache'), NO_COLOR: '1'}
  delete env.CI
  delete env.BUILDKIT_SYNTAX
  const dbuild = async (args: string[], extra: NodeJS.ProcessEnv = {}) => {
    const result = await execa(process.execPath, [BIN, ...args], {cwd: repo, env: {...env, ...extra}, extendEnv: false, reject: false})
    return {exitCode: result.exitCode ?? 1, stdout: result.stdout, stderr: result.stderr}
  }
  return {repo, dbuild}
}

/** The argv words of the one command line --dry-run prints (dbuild quotes none of these). */
const words = (stdout: string) => stdout.trim().split(/\s+/)
/** Every value buildx gets for one build arg, in order. */
function buildArgValues(argv: string[], name: string): string[] {
  return argv.flatMap((word, i) => (argv[i - 1] === '--build-arg' && word.startsWith(`${name}=`) ? [word.slice(name.length + 1)] : []))
}

t.test("build: the BUILDKIT_SYNTAX buildx gets is the mirrored one; other build args and the user's files are untouched", async (t) => {
  const {repo, dbuild} = await checkout(t, {mirrors: {'docker.io/docker/dockerfile': MIRROR}})
  const run = await dbuild([
    'build',
    '--dry-run',
    '--build-arg',
    'BUILDKIT_SYNTAX=docker/dockerfile:1.7',
    '--build-arg',
    'OTHER=docker/dockerfile:1.7',
    '.',
  ])
  t.equal(run.exitCode, 0, run.stderr)
  const argv = words(run.stdout)
  t.same(buildArgValues(argv, 'BUILDKIT_SYNTAX'), [`${MIRROR}:1.7`], 'the frontend comes from the mirror')
  t.same(buildArgValues(argv, 'OTHER'), ['docker/dockerfile:1.7'], 'a build arg that picks no frontend is left alone')
  t.match(
    run.stderr,
    /--build-arg BUILDKIT_SYNTAX=docker\/dockerfile:1\.7 → registry\.example\.com\/mirror\/dockerfile:1\.7 .*\(fixed\)/,
    'and the build says so',
  )
  const copy = argv[argv.indexOf('--file') + 1] as string
  t.equal(
    readFileSync(copy, 'utf8').split('\n')[0],
    `# syntax=${MIRROR}:1.5`,
    'the overridden line is mirrored in the copy too (a build without the arg reads it)',
  )
  t.equal(readFileSync(path.join(repo, 'Dockerfile'), 'utf8'), DOCKERFILE, "the user's Dockerfile is unchanged")

  const fromEnv = await dbuild(['build', '--dry-run', '--build-arg', 'BUILDKIT_SYNTAX', '.'], {BUILDKIT_SYNTAX: 'docker/dockerfile:1'})
  t.equal(fromEnv.exitCode, 0, fromEnv.stderr)
  t.same(
    buildArgValues(words(fromEnv.stdout), 'BUILDKIT_SYNTAX'),
    [`${MIRROR}:1`],
    'a bare --build-arg NAME (value from the environment) is mirrored too',
  )

  const twice = await dbuild([
    'build',
    '--dry-run',
    '--build-arg=BUILDKIT_SYNTAX=docker/dockerfile:1.6',
    '--build-arg',
    'BUILDKIT_SYNTAX=docker/dockerfile:1.7',
    '.',
  ])
  t.same(
    buildArgValues(words(twice.stdout), 'BUILDKIT_SYNTAX'),
    [`${MIRROR}:1.7`, `${MIRROR}:1.7`],
    'given twice, the last wins in buildx: both carry its mirror',
  )

  const plain = await dbuild(['build', '--dry-run', '.'])
  t.same(buildArgValues(words(plain.stdout), 'BUILDKIT_SYNTAX'), [], 'no BUILDKIT_SYNTAX given: none added')

  const noRewrite = await dbuild(['build', '--dry-run', '--no-rewrite', '--build-arg', 'BUILDKIT_SYNTAX=docker/dockerfile:1.7', '.'])
  t.same(buildArgValues(words(noRewrite.stdout), 'BUILDKIT_SYNTAX'), ['docker/dockerfile:1.7'], '--no-rewrite: passed as given')
})

t.test('build: the rule set to warn, or no mirror for the frontend: the build arg is passed as given, and the build warns', async (t) => {
  const warnOnly = await checkout(t, {mirrors: {'docker.io/docker/dockerfile': MIRROR}, rules: {'image-mirror': 'warn'}})
  const warned = await warnOnly.dbuild(['build', '--dry-run', '--build-arg', 'BUILDKIT_SYNTAX=docker/dockerfile:1.7', '.'])
  t.equal(warned.exitCode, 0, warned.stderr)
  t.same(buildArgValues(words(warned.stdout), 'BUILDKIT_SYNTAX'), ['docker/dockerfile:1.7'], '"image-mirror": "warn" changes nothing')
  t.notMatch(warned.stderr, /\(fixed\)/)

  const none = await checkout(t, {mirrors: {'ghcr.io': 'registry.example.com/ghcr'}})
  const unmirrored = await none.dbuild(['build', '--dry-run', '--build-arg', 'BUILDKIT_SYNTAX=docker/dockerfile:1.7', '.'])
  t.equal(unmirrored.exitCode, 0, unmirrored.stderr)
  t.same(buildArgValues(words(unmirrored.stdout), 'BUILDKIT_SYNTAX'), ['docker/dockerfile:1.7'])
  t.match(
    unmirrored.stderr,
    /warning \[image-mirror\] --build-arg BUILDKIT_SYNTAX=docker\/dockerfile:1\.7 pulls the Dockerfile frontend from Docker Hub/,
  )
})

t.test('lint and rewrite report the frontend the build arg picks', async (t) => {
  const none = await checkout(t, undefined)
  const lint = await none.dbuild(['lint', '--build-arg', 'BUILDKIT_SYNTAX=docker/dockerfile:1.7', '.'])
  t.match(
    lint.stdout,
    /Dockerfile:1: warning \[image-mirror\] --build-arg BUILDKIT_SYNTAX=docker\/dockerfile:1\.7 pulls the Dockerfile frontend from Docker Hub/,
    'lint: not mirrored',
    {stderr: lint.stderr},
  )
  t.notMatch(lint.stdout, /# syntax=docker\/dockerfile:1\.5 pulls/, 'the # syntax= line the arg overrides pulls nothing')

  const mirrored = await checkout(t, {mirrors: {'docker.io/docker/dockerfile': MIRROR}})
  const rewrite = await mirrored.dbuild(['rewrite', '--build-arg', 'BUILDKIT_SYNTAX=docker/dockerfile:1.7', '.'])
  t.equal(rewrite.exitCode, 0, rewrite.stderr)
  t.match(
    rewrite.stderr,
    /a plain build needs --build-arg BUILDKIT_SYNTAX=registry\.example\.com\/mirror\/dockerfile:1\.7\./,
    'rewrite says which value to pass',
  )
  t.notMatch(
    rewrite.stderr,
    /BUILDKIT_SYNTAX=docker\/dockerfile:1\.7 → .*\(fixed\)/,
    'a file rewrite cannot carry a build arg, so it is not "fixed"',
  )
  t.equal(rewrite.stdout.split('\n')[0], `# syntax=${MIRROR}:1.5`)
})
