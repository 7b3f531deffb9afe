/** parseBuildArgv against every spelling buildx (cobra/pflag) accepts. */
import t from 'tap'

import {parseBuildArgv, parseBool, resolveBuildArgv} from '../../src/buildx/argv.js'
import {parseHelpFlags} from '../../src/buildx/help.js'
import {BUILDX_BUILD_FLAGS, flagByLong, flagByShort} from '../../src/buildx/flags.js'
import {shellCommand, shellQuote} from '../../src/buildx/quote.js'
import {sourceKind} from '../../src/buildx/sources.js'
import {ExitCode} from '../../src/exit-codes.js'

const tokens = (argv: string[]) => parseBuildArgv(argv, {}).uses.flatMap((use) => use.tokens)

t.test('context is found exactly, whatever the spelling of the flags around it', async (t) => {
  const cases: Array<[string[], string]> = [
    [['.'], '.'],
    [['-t', 'x', '.'], '.'],
    [['--tag', 'x', 'ctx'], 'ctx'],
    [['--tag=x', 'ctx'], 'ctx'],
    [['-tx', 'ctx'], 'ctx'],
    [['-t=x', 'ctx'], 'ctx'],
    [['ctx', '-t', 'x'], 'ctx'],
    [['--push', 'ctx'], 'ctx'],
    [['--push=false', 'ctx'], 'ctx'],
    [['-q', 'ctx'], 'ctx'],
    [['-qt', 'x', 'ctx'], 'ctx'],
    [['-qtx', 'ctx'], 'ctx'],
    [['--load', '--pull', '--no-cache', 'ctx'], 'ctx'],
    [['-f', 'Dockerfile', 'ctx'], 'ctx'],
    [['--file=Dockerfile', 'ctx', '--target', 'final'], 'ctx'],
    [['-o', 'type=local,dest=out', 'ctx'], 'ctx'],
    [['--ulimit', 'nofile=1024:1024', '--shm-size', '1g', 'ctx'], 'ctx'],
    [['-m', '1g', '-c', '2', 'ctx'], 'ctx'],
    [['--check', 'ctx'], 'ctx'],
    [['--call', 'outline', 'ctx'], 'ctx'],
    [['-D', 'ctx'], 'ctx'],
    [['--', '-weird'], '-weird'],
    [['-t', 'x', '--', 'ctx'], 'ctx'],
    [['-'], '-'],
    [['-t', 'x', '-'], '-'],
    [['https://github.com/a/b.git#main'], 'https://github.com/a/b.git#main'],
    [['--dry-run', '--config', 'c.json', 'ctx'], 'ctx'],
    [['--config=c.json', '--no-stage', 'ctx', '--no-rewrite', '--export-cache'], 'ctx'],
  ]
  for (const [argv, context] of cases) t.equal(parseBuildArgv(argv, {}).context, context, argv.join(' '))
})

t.test('buildx tokens are kept exactly and in order; own flags and the context are removed', async (t) => {
  const cases: Array<[string[], string[]]> = [
    [
      ['-t', 'x', '.'],
      ['-t', 'x'],
    ],
    [
      ['--tag=x', '--tag', 'y', '-tz', '-t=w', '.'],
      ['--tag=x', '--tag', 'y', '-tz', '-t=w'],
    ],
    [
      ['--push=false', '-q=true', '.'],
      ['--push=false', '-q=true'],
    ],
    [
      ['-qt', 'x', '.'],
      ['-q', '-t', 'x'],
    ],
    [
      ['-qtx', '.'],
      ['-q', '-t', 'x'],
    ],
    [['.', '--dry-run', '--load'], ['--load']],
    [['--config', 'c.json', '--network=host', '.'], ['--network=host']],
    [
      ['--build-arg', 'A=1', '--build-arg=B', '.'],
      ['--build-arg', 'A=1', '--build-arg=B'],
    ],
  ]
  for (const [argv, expected] of cases) t.same(tokens(argv), expected, argv.join(' '))
})

t.test('values dbuild needs', async (t) => {
  const parsed = parseBuildArgv(
    [
      '-f',
      'docker/Dockerfile',
      '--file=other/Dockerfile',
      '--build-arg',
      'A=1',
      '--build-arg=B=x=y',
      '--build-arg',
      'FROM_ENV',
      '--build-arg',
      'MISSING',
      '--target',
      'one',
      '--target=two',
      '--platform',
      'linux/amd64,linux/arm64',
      '--platform=linux/s390x',
      '--builder',
      'b1',
      '--cache-from',
      'a',
      '--cache-from=type=registry,ref=b',
      '--cache-to',
      'type=inline',
      '--build-context',
      'lib=../lib',
      '--build-context=img=docker-image://busybox',
      '--progress=plain',
      'ctx',
    ],
    {FROM_ENV: 'env-value'},
  )
  t.equal(parsed.dockerfile, 'other/Dockerfile', 'last -f wins')
  t.same(parsed.buildArgs, {A: '1', B: 'x=y', FROM_ENV: 'env-value'}, 'bare --build-arg NAME reads the environment')
  t.equal(parsed.target, 'two')
  t.same(parsed.platforms, ['linux/amd64', 'linux/arm64', 'linux/s390x'])
  t.equal(parsed.builder, 'b1')
  t.same(parsed.cacheFrom, ['a', 'type=registry,ref=b'])
  t.same(parsed.cacheTo, ['type=inline'])
  t.same(parsed.buildContexts, [
    {name: 'lib', source: '../lib'},
    {name: 'img', source: 'docker-image://busybox'},
  ])
  t.equal(parsed.progress, 'plain')
  t.equal(parsed.quiet, false)
  t.equal(parseBuildArgv(['-q', '.'], {}).quiet, true)
  t.equal(parseBuildArgv(['--quiet=false', '.'], {}).quiet, false)
})

t.test('own flags in every spelling', async (t) => {
  const own = (argv: string[]) => parseBuildArgv(argv, {}).own
  t.same(own(['.']), {dryRun: false, noStage: false, noRewrite: false, exportCache: false})
  t.same(own(['--dry-run', '--no-stage', '--no-rewrite', '--export-cache', '--config', 'x.json', '.']), {
    dryRun: true,
    noStage: true,
    noRewrite: true,
    exportCache: true,
    config: 'x.json',
  })
  t.same(own(['--dry-run=false', '--config=y.json', '.']), {
    dryRun: false,
    noStage: false,
    noRewrite: false,
    exportCache: false,
    config: 'y.json',
  })
  t.throws(() => own(['--dry-run=maybe', '.']), {name: 'DbuildError', exit: ExitCode.USAGE})
})

t.test('an unknown flag is named, with the nearest known one', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['--tagg', 'x', '.'], /^unknown flag: --tagg \(did you mean --tag\?\)$/],
    [['--dryrun', '.'], /^unknown flag: --dryrun \(did you mean --dry-run\?\)$/],
    [['--platfrom=linux/amd64', '.'], /did you mean --platform\?/],
    [['--frobnicate', '.'], /^unknown flag: --frobnicate$/],
    [['-Z', '.'], /^unknown flag: -Z$/],
    [['-qZ', '.'], /^unknown flag: -Z$/],
  ]
  for (const [argv, message] of cases) {
    t.throws(() => parseBuildArgv(argv, {}), {name: 'DbuildError', exit: ExitCode.USAGE, message}, argv.join(' '))
  }
})

t.test("a flag the table lacks is taken from the installed buildx's --help", async (t) => {
  const newer = async () => [{long: 'frobnicate', value: true, repeatable: false}]
  const parsed = await resolveBuildArgv(['--frobnicate', 'x', '-t', 'app', '.'], {}, newer)
  t.equal(parsed.context, '.', 'its value is not taken for the context')
  t.same(
    parsed.uses.flatMap((use) => use.tokens),
    ['--frobnicate', 'x', '-t', 'app'],
  )
  await t.rejects(resolveBuildArgv(['--tagg', 'x', '.'], {}, newer), {message: /unknown flag: --tagg \(did you mean --tag\?\)/})
  await t.rejects(
    resolveBuildArgv(['--tagg', 'x', '.'], {}, async () => undefined),
    {message: /unknown flag: --tagg/},
    'no buildx to ask',
  )
})

t.test("parseHelpFlags reads cobra's help", async (t) => {
  const help = [
    'Options:',
    '      --add-host strings              Add a custom host-to-IP mapping',
    '                                      (format: "host:ip")',
    '  -f, --file string                   Name of the Dockerfile (default:',
    '      --load                          Shorthand for "--output=type=docker"',
    '  -t, --tag stringArray               Name and optionally a tag (format:',
    '      --policy stringArray            Policy',
    '  -q, --quiet                         Suppress the build output',
  ].join('\n')
  t.same(parseHelpFlags(help), [
    {long: 'add-host', value: true, repeatable: true},
    {long: 'file', value: true, repeatable: false, short: 'f'},
    {long: 'load', value: false, repeatable: false},
    {long: 'tag', value: true, repeatable: true, short: 't'},
    {long: 'policy', value: true, repeatable: true},
    {long: 'quiet', value: false, repeatable: false, short: 'q'},
  ])
})

t.test("today's buildx flags: --policy and --resource take values; removed flags are gone", async (t) => {
  const parsed = parseBuildArgv(['--policy', 'filename=p.rego', '--policy', 'log-level=debug', '--resource', 'x', '.'], {})
  t.equal(parsed.context, '.')
  t.same(
    parsed.uses.map((use) => use.value),
    ['filename=p.rego', 'log-level=debug', 'x'],
  )
  for (const gone of ['detach', 'root', 'server-config', 'invoke']) t.notOk(flagByLong(gone), `--${gone} is not in the table`)
})

t.test('usage errors as buildx reports them', async (t) => {
  const usage = (argv: string[]) =>
    t.throws(() => parseBuildArgv(argv, {}), {name: 'DbuildError', exit: ExitCode.USAGE}, argv.join(' ') || '(none)')
  usage([])
  usage(['a', 'b'])
  usage(['-t'])
  usage(['--tag'])
  usage(['.', '--config'])
  usage(['--push', 'false', '.']) // a boolean never takes the next token: two positionals
  usage(['--build-context', 'nameonly', '.'])
})

t.test('flag table', async (t) => {
  const longs = BUILDX_BUILD_FLAGS.map((f) => f.long)
  t.same(longs, [...longs].sort(), 'sorted by long name')
  t.equal(new Set(longs).size, longs.length, 'no duplicates')
  t.equal(flagByShort('t')?.long, 'tag')
  t.equal(flagByShort('f')?.long, 'file')
  t.equal(flagByShort('o')?.long, 'output')
  t.equal(flagByShort('q')?.long, 'quiet')
  t.equal(flagByLong('push')?.value, false)
  t.equal(flagByLong('cache-from')?.repeatable, true)
})

t.test('parseBool is Go strconv.ParseBool', async (t) => {
  for (const text of ['1', 't', 'T', 'true', 'TRUE', 'True']) t.equal(parseBool(text), true, text)
  for (const text of ['0', 'f', 'F', 'false', 'FALSE', 'False']) t.equal(parseBool(text), false, text)
  t.equal(parseBool(undefined), true)
  t.equal(parseBool('yes'), undefined)
})

t.test('source kinds', async (t) => {
  const cases: Array<[string, string]> = [
    ['.', 'local'],
    ['../lib', 'local'],
    ['-', 'stdin'],
    ['docker-image://busybox:latest', 'image'],
    ['oci-layout:///tmp/layout', 'oci-layout'],
    ['git@github.com:a/b.git', 'git'],
    ['git://host/repo', 'git'],
    ['github.com/docker/buildx', 'git'],
    ['ssh://git@host/repo.git', 'git'],
    ['https://github.com/a/b.git', 'git'],
    ['https://github.com/a/b.git#main:sub', 'git'],
    ['https://example.com/context.tar.gz', 'url'],
    ['http://example.com/Dockerfile', 'url'],
  ]
  for (const [source, kind] of cases) t.equal(sourceKind(source), kind, source)
})

t.test('shell quoting', async (t) => {
  t.equal(shellQuote('plain/path-1.2:tag'), 'plain/path-1.2:tag')
  t.equal(shellQuote('type=registry,ref=r/a:b'), 'type=registry,ref=r/a:b')
  t.equal(shellQuote(''), "''")
  t.equal(shellQuote('a b'), "'a b'")
  t.equal(shellQuote("it's"), `'it'\\''s'`)
  t.equal(shellQuote('$HOME'), "'$HOME'")
  t.equal(shellCommand(['docker', 'buildx', 'build', '--label', 'x=a b', '.']), "docker buildx build --label 'x=a b' .")
})
