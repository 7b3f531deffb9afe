/** `dbuild lint` as hadolint users run it: a whole repository, named files, config, directives, formats. */
import {chmodSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'
import t from 'tap'

import {ExitCode} from '../../src/exit-codes.js'
import {ROOT} from '../engine/index.js'
import {gitRepo, tempDir, writeTree} from '../helpers/index.js'

const BIN = path.join(ROOT, 'bin', 'run.js')
const lint = (args: string[], cwd: string) =>
  execa(process.execPath, [BIN, 'lint', ...args], {
    cwd,
    reject: false,
    env: {...process.env, NO_COLOR: '1', DBUILD_CACHE_DIR: path.join(cwd, '..', 'cache')},
  })

const URL_LINE = 'FROM scratch\nADD https://example.com/a.tgz /a\n'
const CHOWN_LINE = 'FROM scratch\nCOPY --link --chown=app a /a\n'

/** A repository with Dockerfiles under every name, one git ignores, and files that only look like Dockerfiles. */
async function repository(t: Parameters<typeof tempDir>[0]): Promise<string> {
  return gitRepo(path.join(tempDir(t), 'repo'), {
    Dockerfile: URL_LINE,
    'Dockerfile.dockerignore': 'node_modules\n',
    'services/api/Dockerfile.prod': CHOWN_LINE,
    'services/web/web.Dockerfile': URL_LINE,
    'tools/ci.dockerfile': 'FROM scratch\n',
    Containerfile: 'FROM scratch\n',
    '.devcontainer/Dockerfile': URL_LINE,
    'build/Dockerfile': URL_LINE,
    '.gitignore': 'build/\n',
    'README.md': 'not a Dockerfile\n',
  })
}

t.test('no argument: every Dockerfile of the repository, what git ignores skipped, one report', async (t) => {
  const dir = await repository(t)
  const result = await lint(['--format', 'json'], dir)
  t.equal(result.exitCode, ExitCode.FINDINGS, 'an error finding fails the run', {stderr: result.stderr})
  const files = (JSON.parse(result.stdout) as {findings: {file: string; ruleId: string}[]}).findings.map((f) => `${f.file} ${f.ruleId}`)
  t.same(files, [
    '.devcontainer/Dockerfile add-url-checksum',
    'Dockerfile add-url-checksum',
    'services/api/Dockerfile.prod link-chown',
    'services/web/web.Dockerfile add-url-checksum',
  ])
  const checkstyle = await lint(['--format', 'checkstyle'], dir)
  const named = [...checkstyle.stdout.matchAll(/<file name="([^"]+)"/g)].map((m) => m[1])
  t.same(
    named,
    [
      '.devcontainer/Dockerfile',
      'Containerfile',
      'Dockerfile',
      'services/api/Dockerfile.prod',
      'services/web/web.Dockerfile',
      'tools/ci.dockerfile',
    ],
    'every Dockerfile linted, build/ (ignored) and Dockerfile.dockerignore not',
  )
})

t.test('files named positionally, as hadolint FILE...; -f and CONTEXT keep working', async (t) => {
  const dir = await repository(t)
  const two = await lint(['services/web/web.Dockerfile', 'tools/ci.dockerfile'], dir)
  t.equal(two.exitCode, 0, 'warnings only: exit 0', {stderr: two.stderr})
  t.match(two.stdout, /^services\/web\/web\.Dockerfile:2: warning \[add-url-checksum\]/m)
  t.notMatch(two.stdout, /\.devcontainer/)
  const viaFlag = await lint(['-f', 'services/api/Dockerfile.prod', '.'], dir)
  t.equal(viaFlag.exitCode, ExitCode.FINDINGS)
  t.match(viaFlag.stdout, /^services\/api\/Dockerfile\.prod:2: error \[link-chown\]/m)
  const context = await lint(['.devcontainer'], dir)
  t.match(context.stdout, /^\.devcontainer\/Dockerfile:2: warning/m, 'a directory is a build context with its Dockerfile')
  const missing = await lint(['nope.Dockerfile'], dir)
  t.equal(missing.exitCode, ExitCode.NO_INPUT)
  t.match(missing.stderr, /nope\.Dockerfile/)
})

t.test('failureThreshold in .dbuild.json, --failure-threshold over it', async (t) => {
  const dir = path.join(tempDir(t), 'ctx')
  writeTree(dir, {Dockerfile: URL_LINE, '.dbuild.json': JSON.stringify({failureThreshold: 'warning'})})
  t.equal((await lint([], dir)).exitCode, ExitCode.FINDINGS, 'warning fails at threshold warning')
  t.equal((await lint(['-t', 'error'], dir)).exitCode, 0, 'the flag wins')
  writeFileSync(path.join(dir, '.dbuild.json'), JSON.stringify({failureThreshold: 'none', users: {}}))
  writeFileSync(path.join(dir, 'Dockerfile'), CHOWN_LINE)
  t.equal((await lint([], dir)).exitCode, 0, 'none never fails')
  writeFileSync(path.join(dir, '.dbuild.json'), '{\n  "failureThreshold": "warn"\n}\n')
  const bad = await lint([], dir)
  t.equal(bad.exitCode, ExitCode.CONFIG)
  t.match(bad.stderr.replace(/\s+(›\s+)?/g, ' '), /\.dbuild\.json:2:\d+: "failureThreshold" must be "error"/)
})

t.test("# dbuild ignore= and BuildKit's # check=skip= silence rules", async (t) => {
  const dir = path.join(tempDir(t), 'ctx')
  writeTree(dir, {
    'a.Dockerfile': 'FROM scratch\n# dbuild ignore=add-url-checksum\nADD https://example.com/a.tgz /a\nADD https://example.com/b.tgz /b\n',
    'b.Dockerfile': '# check=skip=AddUrlChecksum,JSONArgsRecommended\nFROM scratch\nADD https://example.com/a.tgz /a\n',
    'c.Dockerfile': '# check=skip=all\nFROM scratch\nADD https://example.com/a.tgz /a\n',
  })
  const result = await lint(['--format', 'json'], dir)
  const found = (JSON.parse(result.stdout) as {findings: {file: string; line: number}[]}).findings.map((f) => `${f.file}:${f.line}`)
  t.same(
    found,
    ['a.Dockerfile:4', 'c.Dockerfile:3'],
    "the pragma silences its line; check=skip silences a matching name; skip=all is BuildKit's own switch",
  )
})

t.test('every format names the file of each finding', async (t) => {
  const dir = await repository(t)
  for (const format of ['text', 'json', 'sarif', 'github', 'gitlab', 'checkstyle']) {
    const result = await lint(['--format', format], dir)
    t.equal(result.exitCode, ExitCode.FINDINGS, `${format}: exit 1`)
    for (const file of ['.devcontainer/Dockerfile', 'services/api/Dockerfile.prod', 'services/web/web.Dockerfile'])
      t.ok(result.stdout.includes(file), `${format} names ${file}`)
  }
  const gitlab = JSON.parse((await lint(['--format', 'gitlab'], dir)).stdout) as {
    fingerprint: string
    location: {path: string; lines: {begin: number}}
    severity: string
  }[]
  t.equal(new Set(gitlab.map((issue) => issue.fingerprint)).size, gitlab.length, 'gitlab fingerprints are unique')
  t.match(gitlab, [{location: {path: '.devcontainer/Dockerfile', lines: {begin: 2}}, severity: 'minor'}])
})

t.test('--chown="app app" is never reported as fixed', async (t) => {
  const dir = path.join(tempDir(t), 'ctx')
  const dockerfile = 'FROM scratch\nCOPY --link --chown="app app" a /a\n'
  writeTree(dir, {Dockerfile: dockerfile, '.dbuild.json': JSON.stringify({users: {app: '1000:1000'}})})
  const rewrite = await execa(process.execPath, [BIN, 'rewrite', '--no-probe'], {
    cwd: dir,
    reject: false,
    env: {...process.env, NO_COLOR: '1', DBUILD_CACHE_DIR: path.join(dir, '..', 'cache')},
  })
  t.equal(rewrite.stdout, dockerfile.trimEnd(), 'the line is left as it is')
  t.match(rewrite.stderr, /BuildKit reads this flag as --chown="app app"/)
  t.notMatch(rewrite.stderr, /\(fixed\)/)
  t.equal((await lint([], dir)).exitCode, ExitCode.FINDINGS, 'lint reports it as an error')
})

t.test('--config FILE on lint and rewrite: the way out lint names for a world-writable config', async (t) => {
  const dir = path.join(tempDir(t), 'ctx')
  writeTree(dir, {Dockerfile: 'FROM ubuntu:22.04\n', '.dbuild.json': JSON.stringify({mirrors: {'docker.io': 'mirror.example.com/hub'}})})
  chmodSync(path.join(dir, '.dbuild.json'), 0o666)
  const refused = await lint(['Dockerfile'], dir)
  t.match(refused.stderr, /name the file with --config/, 'the config is refused, and the way out named')
  t.notMatch(refused.stdout, /mirror\.example\.com/)
  for (const command of ['lint', 'rewrite']) {
    const named = await execa(
      process.execPath,
      [BIN, command, '--config', '.dbuild.json', ...(command === 'lint' ? ['Dockerfile'] : ['--no-probe', '.'])],
      {cwd: dir, reject: false, env: {...process.env, NO_COLOR: '1'}},
    )
    t.equal(named.exitCode, 0, `${command} --config is a known flag`, {stderr: named.stderr})
    t.match(named.stdout + named.stderr, /mirror\.example\.com\/hub\/library\/ubuntu:22\.04/, `${command} --config: the named file is used`)
  }
})

t.test('discovery skips documentation and templates named like Dockerfiles; a file named is always linted', async (t) => {
  const dir = await gitRepo(path.join(tempDir(t), 'repo'), {
    Dockerfile: 'FROM ubuntu:22.04\n',
    // docker/cli's man page of the Dockerfile format
    'man/Dockerfile.5.md': '% "DOCKERFILE" "5"\n# NAME\n\nDockerfile - automate the steps of creating a Docker image\n\nFROM ubuntu\n',
    'eng/Dockerfile.template': 'FROM ubuntu\n',
    // dotnet/dotnet-docker eng/dockerfile-templates/aspnet/Dockerfile.linux (cottle placeholders)
    'eng/dockerfile-templates/aspnet/Dockerfile.linux':
      '{{\n    set runtimeBaseTag to cat("$REPO:", tagVersion)\n}}ARG REPO=mcr.microsoft.com/dotnet/runtime\nFROM {{runtimeBaseTag}}\n',
    'eng/Dockerfile.tmpl': 'FROM {{ .Base }}\n',
    // a Go template inside a RUN is shell text: still a Dockerfile
    'tools/Dockerfile.inspect': 'FROM ubuntu:22.04\nRUN docker inspect --format "{{.Id}}" x\n',
    '.dbuild.json': JSON.stringify({mirrors: {'docker.io': 'mirror.example.com/hub'}}),
  })
  const all = await lint(['--format', 'checkstyle'], dir)
  t.equal(all.exitCode, 0, {stderr: all.stderr})
  const named = [...all.stdout.matchAll(/<file name="([^"]+)"/g)].map((m) => m[1])
  t.same(named, ['Dockerfile', 'tools/Dockerfile.inspect'], 'the man page and the templates are not linted')
  t.match(
    all.stderr,
    /skipped 1 template .*eng\/dockerfile-templates\/aspnet\/Dockerfile\.linux/,
    'the template found by its placeholders is named',
  )
  t.notMatch(all.stdout, /runtimeBaseTag|\.Base/, 'no placeholder was taken for an image')
  const explicit = await lint(['man/Dockerfile.5.md', 'eng/Dockerfile.template'], dir)
  t.match(explicit.stdout, /^man\/Dockerfile\.5\.md:6: info \[image-mirror\]/m, 'a file named on the command line is linted')
  t.match(explicit.stdout, /^eng\/Dockerfile\.template:1: info/m)
})

t.test('--exclude and "lint": {"exclude": [...]} leave paths out of repository-wide lint (fast-glob ignore patterns)', async (t) => {
  const dir = await gitRepo(path.join(tempDir(t), 'repo'), {
    Dockerfile: URL_LINE,
    'vendor/github.com/x/y/Dockerfile': URL_LINE,
    'test/fixtures/bad/Dockerfile': URL_LINE,
    'app/testdata/Dockerfile': URL_LINE,
    'app/Dockerfile': URL_LINE,
    '.dbuild.json': JSON.stringify({lint: {exclude: ['vendor/**', '**/testdata/**']}}),
  })
  const files = async (args: string[], cwd = dir) => {
    const result = await lint(['--format', 'checkstyle', ...args], cwd)
    t.equal(result.exitCode, 0, args.join(' '), {stderr: result.stderr})
    return [...result.stdout.matchAll(/<file name="([^"]+)"/g)].map((m) => m[1])
  }
  t.same(
    await files([]),
    ['Dockerfile', 'app/Dockerfile', 'test/fixtures/bad/Dockerfile'],
    'the config leaves vendor/ and every testdata/ out',
  )
  t.same(await files(['--exclude', 'test/**', '--exclude', 'app/*']), ['Dockerfile'], '--exclude adds to the config')
  t.same(await files([], path.join(dir, 'app')), ['Dockerfile'], 'below the config: its patterns still hold (app/testdata left out)')
  const named = await lint(['vendor/github.com/x/y/Dockerfile'], dir)
  t.match(named.stdout, /^vendor\/github\.com\/x\/y\/Dockerfile:2: warning/m, 'a file named is linted, excluded or not')
  const bad = await lint(['--exclude', '../**'], dir)
  t.equal(bad.exitCode, ExitCode.USAGE, 'a bad --exclude is a usage error')
  t.match(bad.stderr, /--exclude "\.\.\/\*\*": .*leaves the directory/)
})

t.test('text output counts the files linted; the probe note reads once-bracketed', async (t) => {
  const dir = path.join(tempDir(t), 'ctx')
  writeTree(dir, {'a.Dockerfile': URL_LINE, 'b.Dockerfile': 'FROM scratch\nCOPY --link --chown=app a /a\n'})
  const result = await lint(['a.Dockerfile', 'b.Dockerfile'], dir)
  t.match(result.stderr, /^dbuild: linted 2 files, 2 findings$/m)
  t.notMatch(result.stdout, /\(pass --probe\)\)/, 'no doubled bracket')
  t.match(result.stdout, /probe builds were not run; pass --probe/)
  const json = await lint(['--format', 'json', 'a.Dockerfile'], dir)
  t.notMatch(json.stderr, /linted/, 'machine formats print no count')
})
