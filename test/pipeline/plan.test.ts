/**
 * planBuild, the whole pipeline short of running buildx: the exact command --dry-run prints,
 * which context path was taken, the Dockerfile copy, build contexts and the cache lists.
 */
import {chmodSync, existsSync, readFileSync, rmSync, statSync} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'
import t from 'tap'

import {type RewriteInput, planBuild} from '../../src/pipeline/index.js'
import {resolveBuildArgv} from '../../src/buildx/argv.js'
import {flagByLong, flagByShort} from '../../src/buildx/flags.js'
import {ExitCode} from '../../src/exit-codes.js'
import {ROOT} from '../engine/index.js'
import {cloneUnderUmask, gitRepo, tempDir, writeTree} from '../helpers/index.js'

const BIN = path.join(ROOT, 'bin', 'run.js')

/** Runs planBuild with a private stage cache and no CI in the environment. */
function testEnv(cacheDir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  // stageContext places its stage by process.env; the subtests run one at a time
  process.env.DBUILD_CACHE_DIR = cacheDir
  const env: NodeJS.ProcessEnv = {...process.env, DBUILD_CACHE_DIR: cacheDir, ...extra}
  for (const name of ['CI', 'GITHUB_HEAD_REF', 'GITHUB_REF_NAME', 'CI_COMMIT_REF_NAME', 'BRANCH_NAME', 'GIT_BRANCH'])
    if (!(name in extra)) delete env[name]
  return env
}

async function project(t: Parameters<typeof tempDir>[0], umask = '002', files: Record<string, string> = {}) {
  const dir = tempDir(t)
  const source = await gitRepo(path.join(dir, 'source'), {
    Dockerfile: 'FROM dbuild-test/base:latest\nCOPY . /app\nRUN cat /app/hello.txt\n',
    '.dockerignore': '.git\n',
    'hello.txt': 'hello\n',
    ...files,
  })
  const checkout = await cloneUnderUmask(source, path.join(dir, 'checkout'), umask)
  return {dir, checkout, cache: path.join(dir, 'cache')}
}

/** Experimental flags buildx 0.24 removed (and --invoke, gone from build since 0.12): not in dbuild's table. */
const REMOVED_SINCE = ['detach', 'root', 'server-config', 'invoke']

interface HelpFlag {
  long: string
  short?: string
  type?: string
}

/** The flags in `docker buildx build --help` (experimental ones too). */
async function helpFlags(): Promise<HelpFlag[]> {
  const help = await execa('docker', ['buildx', 'build', '--help'], {env: {...process.env, BUILDX_EXPERIMENTAL: '1'}, reject: false})
  const flags: HelpFlag[] = []
  for (const line of help.stdout.split('\n')) {
    const match = /^\s+(?:-(\w), )?--([a-z][a-z0-9-]*)(?: (\w+))?\s{2,}/.exec(line)
    if (match?.[2]) flags.push({long: match[2], ...(match[1] ? {short: match[1]} : {}), ...(match[3] ? {type: match[3]} : {})})
  }
  return flags
}

/** A value buildx would accept for a flag, so the passthrough command is realistic. */
function sampleValue(flag: HelpFlag): string {
  const samples: Record<string, string> = {
    'add-host': 'h:10.0.0.1',
    allow: 'network.host',
    annotation: 'index:a=b',
    attest: 'type=sbom',
    'build-arg': 'A=1',
    'build-context': 'img=docker-image://busybox',
    builder: 'default',
    'cache-from': 'type=registry,ref=r/a:c',
    'cache-to': 'type=inline',
    call: 'build',
    label: 'a=b c',
    network: 'host',
    output: 'type=cacheonly',
    platform: 'linux/amd64',
    progress: 'plain',
    provenance: 'false',
    sbom: 'false',
    secret: 'id=s,src=/dev/null',
    'shm-size': '64m',
    ssh: 'default',
    tag: 'app:dev',
    target: 'final',
    ulimit: 'nofile=1024:1024',
    'metadata-file': '/tmp/m.json',
    iidfile: '/tmp/iid',
    'no-cache-filter': 'base',
    print: 'outline',
    root: '/tmp/r',
    'server-config': '/tmp/s.toml',
    'cgroup-parent': 'p',
  }
  return samples[flag.long] ?? 'x'
}

t.test('passthrough: every flag of the real `docker buildx build --help` reaches buildx unchanged', async (t) => {
  const flags = await helpFlags()
  if (flags.length === 0) {
    t.plan(0, 'docker buildx is not installed')
    return
  }
  t.ok(flags.length >= 35, `read ${flags.length} flags from --help`)
  for (const flag of flags) {
    const entry = flagByLong(flag.long)
    if (!entry && REMOVED_SINCE.includes(flag.long)) {
      t.comment(`--${flag.long}: gone from newer buildx, so not in the table; this buildx's --help vouches for it`)
      continue
    }
    t.ok(entry, `--${flag.long} is in the table`)
    t.equal(entry?.value, flag.type !== undefined, `--${flag.long} ${flag.type ? 'takes a value' : 'is a boolean'}`)
    if (flag.short) t.equal(flagByShort(flag.short)?.long, flag.long, `-${flag.short} is --${flag.long}`)
  }

  const {checkout, cache} = await project(t)
  const env = testEnv(cache)
  const argv: string[] = []
  const expected: string[][] = []
  for (const flag of flags) {
    if (flag.long === 'file') continue // replaced by the Dockerfile copy, checked below
    const spellings =
      flag.type === undefined ? [[`--${flag.long}`]] : [[`--${flag.long}`, sampleValue(flag)], [`--${flag.long}=${sampleValue(flag)}`]]
    if (flag.short) spellings.push(flag.type === undefined ? [`-${flag.short}`] : [`-${flag.short}`, sampleValue(flag)])
    for (const tokens of spellings) {
      argv.push(...tokens)
      expected.push(flag.long === 'cache-from' ? ['--cache-from', sampleValue(flag)] : tokens)
    }
  }
  const full = [...argv, '-f', path.join(checkout, 'Dockerfile'), '--dry-run', checkout]
  // experimental flags are known to this buildx only with BUILDX_EXPERIMENTAL, as in helpFlags()
  const parsed = await resolveBuildArgv(full, {...env, BUILDX_EXPERIMENTAL: '1'})
  const plan = await planBuild({argv: full, parsed, cwd: checkout, env})
  const line = ` ${plan.args.join(' ')} `
  for (const tokens of expected) t.ok(line.includes(` ${tokens.join(' ')} `), `${tokens.join(' ')} passed through`)
  t.equal(plan.args.filter((arg) => arg === '--cache-from').length, 1, 'the same cache given three ways is passed once')
  t.equal(plan.args.at(-1), plan.context, 'the context comes last')
  t.same(plan.warnings, [], 'no flag of the real help is unknown')
})

t.test('a checkout under umask 002 is staged; a canonical one is used directly', async (t) => {
  const {checkout, cache} = await project(t, '002')
  const env = testEnv(cache)
  const staged = await planBuild({argv: ['-t', 'app', checkout], cwd: checkout, env})
  t.equal(staged.contextPath, 'staged')
  t.not(staged.context, checkout)
  t.equal(statSync(path.join(staged.context, 'hello.txt')).mode & 0o777, 0o644, 'the stage has canonical modes')
  t.ok(staged.dockerfile?.startsWith(cache), 'the Dockerfile copy is in the stage root')
  t.notOk(staged.dockerfile?.startsWith(staged.context + path.sep), 'but never inside the staged context')
  t.same(staged.args, ['buildx', 'build', '-t', 'app', '--file', staged.dockerfile, staged.context])

  for (const file of ['hello.txt', 'Dockerfile', '.dockerignore']) chmodSync(path.join(checkout, file), 0o644)
  chmodSync(checkout, 0o755)
  const canonical = await planBuild({argv: ['-t', 'app', checkout], cwd: checkout, env})
  t.equal(canonical.contextPath, 'canonical')
  t.equal(canonical.context, checkout)
  t.match(canonical.notes.join('\n'), /already canonical/)

  const unstaged = await planBuild({argv: ['--no-stage', '--no-rewrite', '-f', 'Dockerfile', '.'], cwd: checkout, env})
  t.equal(unstaged.contextPath, 'unstaged')
  t.same(unstaged.args, ['buildx', 'build', '-f', 'Dockerfile', checkout], 'nothing replaced')
})

t.test('-f outside the context, its .dockerignore and .rego, and the rewrite step', async (t) => {
  const {dir, checkout, cache} = await project(t, '002', {'secret.txt': 'no\n'})
  const policy = 'package docker\n\ndefault allow := true\n'
  writeTree(dir, {
    'docker/app.Dockerfile': 'ARG BASE=dbuild-test/base:latest\nFROM $BASE\nCOPY . /app\n',
    'docker/app.Dockerfile.dockerignore': 'secret.txt\n.git\n',
    'docker/app.Dockerfile.rego': policy,
  })
  const seen: RewriteInput[] = []
  const rewrite = async (input: RewriteInput) => {
    seen.push(input)
    return {text: `${input.text}# rewritten\n`, changed: true, messages: ['rewrote 1 line']}
  }
  const env = testEnv(cache)
  const plan = await planBuild({
    argv: [
      '--file',
      '../docker/app.Dockerfile',
      '--build-arg',
      'BASE=other',
      '--target',
      'final',
      '--platform',
      'linux/amd64',
      '--builder',
      'b',
      '.',
    ],
    cwd: checkout,
    env,
    rewrite,
  })
  t.equal(seen.length, 1, 'the rewrite ran once')
  t.same(seen[0]?.buildArgs, {BASE: 'other'})
  t.equal(seen[0]?.target, 'final')
  t.equal(seen[0]?.platform, 'linux/amd64')
  t.equal(seen[0]?.docker.builder, 'b')
  t.equal(seen[0]?.docker.contextDir, plan.context)
  t.equal(seen[0]?.file, path.join(dir, 'docker/app.Dockerfile'))
  const copy = plan.dockerfile as string
  t.match(readFileSync(copy, 'utf8'), /# rewritten\n$/, 'the rewritten text is what buildx gets')
  t.equal(readFileSync(`${copy}.dockerignore`, 'utf8'), 'secret.txt\n.git\n', '<Dockerfile>.dockerignore is copied beside it')
  t.notOk(existsSync(path.join(plan.context, 'secret.txt')), 'and it applied to the stage')
  t.equal(readFileSync(`${copy}.rego`, 'utf8'), policy, '<Dockerfile>.rego (the build policy of buildx >= 0.31) is copied beside it')
  t.ok(plan.args.includes('--file') && plan.args[plan.args.indexOf('--file') + 1] === copy)
  t.notOk(plan.args.includes('../docker/app.Dockerfile'), 'the original -f is replaced')

  const plain = await planBuild({argv: ['--no-rewrite', '-f', '../docker/app.Dockerfile', '.'], cwd: checkout, env, rewrite})
  t.equal(seen.length, 1, '--no-rewrite skips the rewrite')
  t.equal(readFileSync(plain.dockerfile as string, 'utf8'), readFileSync(path.join(dir, 'docker/app.Dockerfile'), 'utf8'))
  rmSync(path.join(dir, 'docker/app.Dockerfile.rego'))
  const after = await planBuild({argv: ['-f', '../docker/app.Dockerfile', '.'], cwd: checkout, env, rewrite})
  t.not(after.dockerfile, copy, 'a copy is named by its companions too')
  t.notOk(existsSync(`${after.dockerfile as string}.rego`), 'a policy removed from the repository is not beside the copy')
})

t.test('build contexts: local ones staged, remote ones untouched', async (t) => {
  const {dir, checkout, cache} = await project(t, '002')
  writeTree(dir, {'lib/a.txt': 'a\n'})
  chmodSync(path.join(dir, 'lib/a.txt'), 0o664)
  const plan = await planBuild({
    argv: [
      '--build-context',
      'lib=../lib',
      '--build-context=img=docker-image://busybox',
      '--build-context',
      'src=https://github.com/a/b.git',
      '.',
    ],
    cwd: checkout,
    env: testEnv(cache),
  })
  const contexts = plan.args.flatMap((arg, i) =>
    plan.args[i - 1] === '--build-context' || arg.startsWith('--build-context=') ? [arg] : [],
  )
  t.equal(contexts.length, 3)
  const lib = contexts[0]?.replace(/^lib=/, '') as string
  t.not(lib, path.join(dir, 'lib'), 'the local context is staged')
  t.equal(statSync(path.join(lib, 'a.txt')).mode & 0o777, 0o644)
  t.equal(contexts[1], '--build-context=img=docker-image://busybox', 'an image context keeps its spelling')
  t.equal(contexts[2], 'src=https://github.com/a/b.git')
  t.match(plan.notes.join('\n'), /img=docker-image:\/\/busybox is an image/)
})

t.test('remote and stdin contexts pass through', async (t) => {
  const cache = tempDir(t)
  for (const context of ['https://github.com/a/b.git#main', '-']) {
    const plan = await planBuild({argv: ['-t', 'x', context], cwd: cache, env: testEnv(cache)})
    t.equal(plan.contextPath, 'remote')
    t.same(plan.args, ['buildx', 'build', '-t', 'x', context])
  }
})

t.test('cache lists from .dbuild.json', async (t) => {
  const {checkout, cache} = await project(t, '022', {
    '.dbuild.json': JSON.stringify({
      cacheFrom: ['type=registry,ref=r/app:cache-{branch}', 'type=registry,ref=r/app:cache-{default_branch}'],
      cacheTo: ['type=registry,ref=r/app:cache-{branch},mode=max'],
    }),
  })
  const cacheFlags = (args: string[]) =>
    args.flatMap((arg, i) => (arg === '--cache-from' || arg === '--cache-to' ? [`${arg} ${args[i + 1]}`] : []))
  const dev = await planBuild({argv: ['--cache-from', 'type=local,src=/c', '.'], cwd: checkout, env: testEnv(cache)})
  t.same(
    cacheFlags(dev.args),
    ['--cache-from type=registry,ref=r/app:cache-main', '--cache-from type=local,src=/c'],
    'developer: config first, then the user; no cacheTo',
  )

  const ci = await planBuild({argv: ['.'], cwd: checkout, env: testEnv(cache, {CI: 'true'})})
  t.same(
    cacheFlags(ci.args),
    ['--cache-from type=registry,ref=r/app:cache-main', '--cache-to type=registry,ref=r/app:cache-main,mode=max'],
    'CI: cacheTo too',
  )

  const exported = await planBuild({argv: ['--export-cache', '--cache-to', 'type=inline', '.'], cwd: checkout, env: testEnv(cache)})
  t.same(
    cacheFlags(exported.args),
    ['--cache-to type=inline', '--cache-from type=registry,ref=r/app:cache-main'],
    'the command line --cache-to wins (and stays in its place)',
  )

  const other = path.join(cache, 'other.json')
  writeTree(cache, {'other.json': '{"cacheFrom": ["o/app:{branch}"]}'})
  const overridden = await planBuild({argv: ['--config', other, '.'], cwd: checkout, env: testEnv(cache, {GITHUB_REF_NAME: 'x'})})
  t.same(cacheFlags(overridden.args), ['--cache-from o/app:main'], '--config replaces the found file')

  writeTree(cache, {'bad.json': '{"cacheFrom": "nope"}'})
  await t.rejects(planBuild({argv: ['--config', path.join(cache, 'bad.json'), '.'], cwd: checkout, env: testEnv(cache)}), {
    name: 'DbuildError',
    exit: ExitCode.CONFIG,
  })
})

t.test('missing inputs', async (t) => {
  const cache = tempDir(t)
  await t.rejects(planBuild({argv: ['nope'], cwd: cache, env: testEnv(cache)}), {
    exit: ExitCode.NO_INPUT,
    message: /nope: build context not found/,
  })
  await t.rejects(planBuild({argv: ['.'], cwd: cache, env: testEnv(cache)}), {exit: ExitCode.NO_INPUT, message: /Dockerfile not found/})
  await t.rejects(planBuild({argv: ['-t'], cwd: cache, env: testEnv(cache)}), {name: 'DbuildError', exit: ExitCode.USAGE})
})

t.test('CLI --dry-run prints one shell-quoted line and the path taken', async (t) => {
  const {checkout, cache} = await project(t, '002')
  const env = {...testEnv(cache), NO_COLOR: '1'}
  const result = await execa(process.execPath, [BIN, '--dry-run', '--label', 'note=two words', '-t', 'app', '.'], {
    cwd: checkout,
    env,
    reject: false,
  })
  t.equal(result.exitCode, 0, result.stderr)
  const lines = result.stdout.trim().split('\n')
  t.equal(lines.length, 1, 'one line on stdout')
  t.match(lines[0], /^docker buildx build --label 'note=two words' -t app --file \S+\/Dockerfile \S+\/context$/)
  t.match(result.stderr, /staged/)
  const quiet = await execa(process.execPath, [BIN, 'build', '--dry-run', '--progress=quiet', '.'], {cwd: checkout, env, reject: false})
  t.equal(quiet.exitCode, 0)
  t.notMatch(quiet.stderr, /dbuild: context/, 'no notes with --progress=quiet')
  const usage = await execa(process.execPath, [BIN, 'build', '--dry-run'], {cwd: checkout, env, reject: false})
  t.equal(usage.exitCode, ExitCode.USAGE, 'no context: usage error')
})
