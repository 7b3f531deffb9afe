/**
 * The context digest, the manifest and dbuild explain on real git clones under real umasks: one
 * commit gives one digest; each kind of change changes it and is explained with the COPY line that
 * reads it; the causes that are not files (.dockerignore, Dockerfile lines, build args, CRLF).
 */
import {chmodSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'
import t from 'tap'

import {ExitCode} from '../../src/exit-codes.js'
import {explainContext, manifestFor, modeProblems} from '../../src/explain/current.js'
import {formatReport} from '../../src/explain/format.js'
import {readManifest, writeManifest} from '../../src/explain/manifest.js'
import {dockerfileReaders, sourceReading} from '../../src/explain/readers.js'
import {stageContext, stageDigest} from '../../src/stage/index.js'
import {ROOT} from '../engine/index.js'
import {cloneUnderUmask, gitEnv, gitRepo, sh, tempDir} from '../helpers/index.js'

const BIN = path.join(ROOT, 'bin', 'run.js')
const root = tempDir(t, 'dbuild-explain-')
const env: NodeJS.ProcessEnv = {...process.env, DBUILD_CACHE_DIR: path.join(root, 'cache'), NO_COLOR: '1'}
delete env.CI

const DOCKERFILE = [
  'FROM scratch', // 1
  'ARG FLAVOR=plain', // 2
  'COPY config/ /config/', // 3
  'COPY src/*.txt /src/', // 4
  'COPY bin/run.sh /bin/run.sh', // 5
  'COPY links/ /links/', // 6
  'RUN --mount=type=bind,source=tools,target=/tools /tools/check', // 7
  'RUN echo "$FLAVOR"', // 8
  '',
].join('\n')

const FILES = {
  Dockerfile: DOCKERFILE,
  '.dockerignore': '.git\nnotes/\n',
  'config/app.conf': 'port=80\n',
  'config/extra.conf': 'debug=0\n',
  'src/a.txt': 'alpha\n',
  'src/b.txt': 'beta\n',
  'src/skip.md': 'not copied\n',
  'bin/run.sh': '#!/bin/sh\necho run\n',
  'tools/check': '#!/bin/sh\ntrue\n',
  'links/v1/data': 'one\n',
  'links/v2/data': 'two\n',
  'notes/todo': 'ignored\n',
}

async function sourceRepo(name: string): Promise<string> {
  const dir = await gitRepo(path.join(root, name), FILES, ['tools/check'])
  symlinkSync('v1', path.join(dir, 'links/current'))
  await sh('git add links/current && git commit -qm link', {cwd: dir, env: gitEnv()})
  return dir
}

async function stageManifest(context: string, file: string): Promise<string> {
  const result = await execa(process.execPath, [BIN, 'stage', '.', '--json', '--manifest', file], {cwd: context, env, reject: false})
  if (result.exitCode !== 0) throw new Error(`dbuild stage failed: ${result.stderr}`)
  return (JSON.parse(result.stdout) as {digest: string}).digest
}

t.test('two clones of one commit under umask 002 and 022 give one digest', async (t) => {
  const source = await sourceRepo('umask-source')
  const a = await cloneUnderUmask(source, path.join(root, 'umask-002'), '002')
  const b = await cloneUnderUmask(source, path.join(root, 'umask-022'), '022')
  const digestA = await stageManifest(a, path.join(root, 'umask-a.jsonl'))
  const digestB = await stageManifest(b, path.join(root, 'umask-b.jsonl'))
  t.match(digestA, /^sha256:[0-9a-f]{64}$/)
  t.equal(digestA, digestB, 'the same digest whatever the umask and checkout time')
  // the manifest's entry lines are what the digest hashes
  const lines = readFileSync(path.join(root, 'umask-a.jsonl'), 'utf8').split('\n').slice(1).join('\n')
  const {createHash} = await import('node:crypto')
  t.equal(`sha256:${createHash('sha256').update(lines).digest('hex')}`, digestA, 'tail -n +2 MANIFEST | sha256sum gives the digest')
  t.notOk(readFileSync(path.join(root, 'umask-a.jsonl'), 'utf8').includes('notes/todo'), 'what .dockerignore excludes is not in it')

  const explained = await execa(process.execPath, [BIN, 'explain', '--against', path.join(root, 'umask-a.jsonl'), b], {env, reject: false})
  t.equal(explained.exitCode, 0, 'explain: nothing differs between the clones', {stdout: explained.stdout})
  t.match(explained.stdout, /Nothing differs/)
})

t.test('a warm stage reads only changed content; the staged tree gives the same digest', async (t) => {
  const dir = await sourceRepo('warm')
  const out = path.join(root, 'warm-stage')
  const first = await stageContext({context: dir, out, env, digest: true})
  t.ok((first.digest?.hashed ?? 0) >= 9, 'cold: every file is read')
  const second = await stageContext({context: dir, out, env, digest: true})
  t.equal(second.digest?.hashed, 0, 'warm: no file is read again')
  t.equal(second.digest?.digest, first.digest?.digest)
  t.same(second.digest?.entries, first.digest?.entries, 'the entries behind a reused digest are built when asked for')
  writeFileSync(path.join(dir, 'src/a.txt'), 'ALPHA\n')
  const third = await stageContext({context: dir, out, env, digest: true})
  t.equal(third.digest?.hashed, 1, 'one edit: one file read')
  t.not(third.digest?.digest, first.digest?.digest)
  t.equal(
    stageDigest({dir: third.dir, root: path.dirname(third.dir)}),
    third.digest?.digest,
    'digesting the staged directory itself agrees',
  )
})

interface Case {
  name: string
  change: (dir: string) => void
  path: string
  changes: string[]
  line: number
  cause?: RegExp
}

const CASES: Case[] = [
  {
    name: 'an edit',
    change: (dir) => writeFileSync(path.join(dir, 'src/a.txt'), 'alpha, edited\n'),
    path: 'src/a.txt',
    changes: ['content'],
    line: 4,
  },
  {
    name: 'an added file',
    change: (dir) => writeFileSync(path.join(dir, 'config/new.conf'), 'x=1\n'),
    path: 'config/new.conf',
    changes: ['added'],
    line: 3,
  },
  {name: 'chmod +x', change: (dir) => chmodSync(path.join(dir, 'bin/run.sh'), 0o755), path: 'bin/run.sh', changes: ['mode'], line: 5},
  {
    name: 'a replaced symlink',
    change: (dir) => {
      unlinkSync(path.join(dir, 'links/current'))
      symlinkSync('v2', path.join(dir, 'links/current'))
    },
    path: 'links/current',
    changes: ['link'],
    line: 6,
  },
  {
    name: 'a symlink replaced by a file',
    change: (dir) => {
      unlinkSync(path.join(dir, 'links/current'))
      writeFileSync(path.join(dir, 'links/current'), 'now a file\n')
    },
    path: 'links/current',
    changes: ['type'],
    line: 6,
  },
  {
    name: 'a bind-mounted tool',
    change: (dir) => writeFileSync(path.join(dir, 'tools/check'), '#!/bin/sh\nfalse\n'),
    path: 'tools/check',
    changes: ['content'],
    line: 7,
  },
  {
    name: 'a .dockerignore change',
    change: (dir) => writeFileSync(path.join(dir, '.dockerignore'), '.git\nnotes/\nconfig/extra.conf\n'),
    path: 'config/extra.conf',
    changes: ['removed'],
    line: 3,
    cause: /\.dockerignore differs: line 3 new or changed/,
  },
]

t.test('each change changes the digest and is explained with the COPY line that reads it', async (t) => {
  const source = await sourceRepo('cases-source')
  const base = await cloneUnderUmask(source, path.join(root, 'cases-base'), '022')
  const manifest = path.join(root, 'cases-base.jsonl')
  const baseDigest = await stageManifest(base, manifest)
  for (const [index, testCase] of CASES.entries()) {
    await t.test(testCase.name, async (t) => {
      const dir = await cloneUnderUmask(source, path.join(root, `case-${index}`), '002')
      testCase.change(dir)
      const digest = await stageManifest(dir, path.join(root, `case-${index}.jsonl`))
      t.not(digest, baseDigest, 'the digest changes')
      const {report} = await explainContext({manifest, context: dir, env})
      t.equal(report.same, false)
      const difference = report.differences.find((d) => d.path === testCase.path)
      t.ok(difference, `${testCase.path} is listed`, {differences: report.differences})
      t.same(difference?.changes, testCase.changes)
      t.equal(difference?.readBy[0]?.line, testCase.line, `read by line ${testCase.line}`)
      t.equal(report.firstMiss?.line, testCase.line, `the first step to miss is line ${testCase.line}`)
      if (testCase.cause)
        t.ok(
          report.causes.some((cause) => testCase.cause?.test(cause.message)),
          'the non-file cause is named',
          {causes: report.causes},
        )
      const cli = await execa(process.execPath, [BIN, 'explain', '--against', manifest, dir], {env, reject: false})
      t.equal(cli.exitCode, ExitCode.FINDINGS, 'explain exits 1')
      t.match(cli.stdout, new RegExp(`First step to miss the cache: .*Dockerfile:${testCase.line} `))
      const json = await execa(process.execPath, [BIN, 'explain', '--against', manifest, dir, '--json'], {env, reject: false})
      t.equal(json.exitCode, ExitCode.FINDINGS)
      t.equal((JSON.parse(json.stdout) as {firstMiss: {line: number}}).firstMiss.line, testCase.line, '--json says the same')
    })
  }
})

t.test('causes that are not files: Dockerfile lines, build args, CRLF', async (t) => {
  const source = await sourceRepo('causes-source')
  const base = await cloneUnderUmask(source, path.join(root, 'causes-base'), '022')
  const manifestFile = path.join(root, 'causes.jsonl')
  const staged = await stageContext({context: base, out: path.join(root, 'causes-stage'), env, digest: true})
  writeManifest(
    manifestFile,
    manifestFor(staged.digest as NonNullable<typeof staged.digest>, {
      context: base,
      dockerfile: path.join(base, 'Dockerfile'),
      ignoreFile: path.join(base, '.dockerignore'),
      buildArgs: {FLAVOR: 'spicy'},
    }),
  )
  t.same(Object.keys(readManifest(manifestFile).header.buildArgs), ['FLAVOR'])
  t.notOk(readFileSync(manifestFile, 'utf8').includes('spicy'), 'build-arg values are kept as hashes only')

  await t.test('a changed build arg: the first RUN after its ARG', async (t) => {
    const {report} = await explainContext({manifest: manifestFile, context: base, env, buildArgs: {FLAVOR: 'mild'}})
    t.same(report.differences, [])
    t.match(report.causes, [{kind: 'build-arg', message: /FLAVOR: another value/}])
    t.equal(report.firstMiss?.line, 7, 'RUN on line 7 has the arg in its environment')
    const same = await explainContext({manifest: manifestFile, context: base, env, buildArgs: {FLAVOR: 'spicy'}})
    t.equal(same.report.same, true, 'the same value: nothing differs')
    const unsaid = await explainContext({manifest: manifestFile, context: base, env})
    t.equal(unsaid.report.same, true, 'no --build-arg given: not compared')
    t.match(unsaid.report.notes, [/records build args \(FLAVOR\)/])
  })

  await t.test('a changed Dockerfile line: that instruction, and which lines', async (t) => {
    const dir = await cloneUnderUmask(source, path.join(root, 'causes-dockerfile'), '022')
    writeFileSync(
      path.join(dir, 'Dockerfile'),
      DOCKERFILE.replace('COPY bin/run.sh /bin/run.sh', 'COPY --chmod=755 bin/run.sh /bin/run.sh').replace(
        'FROM scratch\n',
        'FROM scratch\n# a comment moves every line\n',
      ),
    )
    const {report} = await explainContext({manifest: manifestFile, context: dir, env, buildArgs: {FLAVOR: 'spicy'}})
    t.match(report.causes, [{kind: 'dockerfile', lines: [2, 6]}])
    t.equal(report.firstMiss?.line, 6, 'a moved line misses nothing; the changed COPY does')
    t.ok(
      report.differences.every((d) => d.path === 'Dockerfile'),
      'only the Dockerfile itself differs in the context',
    )
  })

  await t.test('CRLF line endings where .gitattributes does not pin them', async (t) => {
    const dir = await cloneUnderUmask(source, path.join(root, 'causes-crlf'), '022')
    writeFileSync(path.join(dir, 'src/b.txt'), 'beta\r\n')
    const {report} = await explainContext({manifest: manifestFile, context: dir, env})
    t.match(report.differences, [{path: 'src/b.txt', changes: ['content'], crlf: true}])
    t.match(report.causes, [{kind: 'crlf', message: /src\/b\.txt/}])
    t.match(formatReport(report, 'm', 'Dockerfile'), /eol=lf/)
    writeFileSync(path.join(dir, '.gitattributes'), '*.txt text eol=lf\n')
    const pinned = await explainContext({manifest: manifestFile, context: dir, env})
    t.notOk(
      pinned.report.causes.some((cause) => cause.kind === 'crlf'),
      'pinned by .gitattributes: not blamed on it',
    )
  })
})

t.test('readers follow BuildKit: wildcards, --exclude, --from, bind mounts, stages the target needs', async (t) => {
  const text = [
    'FROM scratch AS unused', // 1
    'COPY unused.txt /', // 2
    'FROM scratch AS tools', // 3
    'COPY tools/ /tools/', // 4
    'FROM scratch', // 5
    'COPY --from=tools /tools /tools', // 6
    'COPY --exclude=*.md docs/ /docs/', // 7
    'COPY src/*/main.go /src/', // 8
    'ADD https://example.com/x.tar.gz /x/', // 9
    'RUN --mount=type=cache,target=/c --mount=target=/ctx true', // 10
    'COPY <<EOF /inline', // 11
    'hello',
    'EOF',
    '',
  ].join('\n')
  const readers = dockerfileReaders(text)
  const lineOf = (rel: string): number[] =>
    readers.readers.filter((reader) => sourceReading(reader, rel) !== undefined).map((reader) => reader.instruction.line)
  t.same(lineOf('unused.txt'), [10], 'a stage the target does not need reads nothing (only the whole-context bind mount does)')
  t.same(lineOf('tools/x'), [4, 10], 'a stage reached through COPY --from is built')
  t.same(lineOf('docs/a.txt'), [7, 10])
  t.same(lineOf('docs/a.md'), [10], '--exclude applies below the source')
  t.same(lineOf('src/cmd/main.go'), [8, 10], 'a wildcard matches one path component')
  t.same(lineOf('src/cmd/sub/main.go'), [10], '... and never crosses a slash')
  t.same(
    dockerfileReaders(text, {target: 'unused'}).readers.map((reader) => reader.instruction.line),
    [2],
    '--target picks the stages',
  )
})

t.test('--modes lists what makes plain buildx miss, with the fix', async (t) => {
  const source = await sourceRepo('modes-source')
  const dir = await cloneUnderUmask(source, path.join(root, 'modes-002'), '002')
  const {problems} = modeProblems(dir)
  t.ok(
    problems.some((problem) => problem.path === 'src/a.txt' && problem.mode === '0664' && problem.want === '0644'),
    'a umask-002 file',
    {problems},
  )
  t.notOk(
    problems.some((problem) => problem.path.startsWith('notes')),
    'what .dockerignore excludes is not sent, so not listed',
  )
  const cli = await execa(process.execPath, [BIN, 'explain', '--modes', dir], {env, reject: false})
  t.equal(cli.exitCode, ExitCode.FINDINGS)
  t.match(cli.stdout, /dbuild normalize/)
  await sh('umask 022 && git ls-files -z | xargs -0 chmod go-w && find . -path ./.git -prune -o -type d -exec chmod 755 {} +', {cwd: dir})
  const clean = await execa(process.execPath, [BIN, 'explain', '--modes', dir], {env, reject: false})
  t.equal(clean.exitCode, 0, clean.stdout)
})

t.test('--modes finds a name that is not UTF-8 (byte 0xff) and shows the byte as \\xff', async (t) => {
  const dir = await sourceRepo('modes-bytes')
  const name = Buffer.concat([Buffer.from(`${dir}/src/b`), Buffer.of(0xff), Buffer.from('.txt')])
  writeFileSync(name, 'bytes\n')
  chmodSync(name, 0o664)
  const cli = await execa(process.execPath, [BIN, 'explain', '--modes', '.'], {cwd: dir, env, reject: false, encoding: 'buffer'})
  const stdout = Buffer.from(cli.stdout).toString('latin1')
  t.match(stdout, /^ {2}src\/b\\xff\.txt: 0664, canonical 0644$/m, 'listed, the byte shown as \\xff')
  t.notMatch(stdout, /\xef\xbf\xbd/, 'no U+FFFD in its place')
  const json = await execa(process.execPath, [BIN, 'explain', '--modes', '.', '--json'], {cwd: dir, env, reject: false})
  t.ok(
    (JSON.parse(json.stdout) as {problems: Array<{path: string}>}).problems.some((problem) => problem.path === 'src/b\udcff.txt'),
    '--json keeps the escape (the one codec)',
  )
})

t.test('explain says which config a build of the context uses, as build does, and why one was refused', async (t) => {
  const dir = await sourceRepo('config-line')
  const none = await execa(process.execPath, [BIN, 'explain', '--modes', '.'], {cwd: dir, env, reject: false})
  t.match(none.stderr, /^dbuild: config: none \(no \.dbuild\.json found\)$/m)
  writeFileSync(path.join(dir, '.dbuild.json'), '{"cacheFrom": []}\n')
  const found = await execa(process.execPath, [BIN, 'explain', '--modes', 'src'], {cwd: dir, env, reject: false})
  t.match(
    found.stderr,
    new RegExp(`^dbuild: config: ${path.join(dir, '.dbuild.json').replaceAll('/', '\\/')}$`, 'm'),
    'found from the context up to the git root',
  )
  t.notMatch(found.stdout, /config:/, 'stdout stays the report')
  chmodSync(dir, 0o777)
  t.teardown(() => chmodSync(dir, 0o755))
  const refused = await execa(process.execPath, [BIN, 'explain', '--modes', '.'], {cwd: dir, env, reject: false})
  t.match(refused.stderr, /dbuild: warning: .*\.dbuild\.json was not used: its directory .* is writable by every user/)
  t.match(refused.stderr, /^dbuild: config: none used$/m)
  chmodSync(dir, 0o755)
  writeFileSync(path.join(dir, '.dbuild.json'), '{"cacheFrom": [,]}\n')
  const broken = await execa(process.execPath, [BIN, 'explain', '--modes', '.'], {cwd: dir, env, reject: false})
  t.match(broken.stderr, /dbuild: warning: .*\.dbuild\.json:1:\d+: invalid JSON/, 'a broken config is named, file and line')
  t.not(broken.exitCode, ExitCode.INTERNAL, 'explain still reports')
  t.match(broken.stdout, /mode/, 'and still lists the modes')
})

t.test('dbuild build --manifest, and in CI, writes the manifest of what buildx is sent', async (t) => {
  const dir = await sourceRepo('build-manifest')
  const manifest = path.join(root, 'build.jsonl')
  const staged = await execa(
    process.execPath,
    [BIN, 'build', '--dry-run', '--manifest', manifest, '--build-arg', 'FLAVOR=hot', '--platform', 'linux/amd64', '.'],
    {cwd: dir, env, reject: false, all: true},
  )
  t.equal(staged.exitCode, 0, staged.all)
  const header = readManifest(manifest).header
  t.match(header, {dockerfile: {path: 'Dockerfile'}, dockerignore: {path: '.dockerignore'}, platform: 'linux/amd64', modes: 'canonical'})
  t.same(Object.keys(header.buildArgs), ['FLAVOR'])
  const stage = await execa(process.execPath, [BIN, 'stage', '.', '--json'], {cwd: dir, env})
  t.equal(header.digest, (JSON.parse(stage.stdout) as {digest: string}).digest, 'the digest dbuild stage reports')

  const ci = await execa(process.execPath, [BIN, 'build', '--dry-run', '.'], {
    cwd: dir,
    env: {...env, CI: 'true'},
    reject: false,
    all: true,
  })
  const written = /manifest written to (\S+)/.exec(ci.all)?.[1]
  t.ok(written?.startsWith(env.DBUILD_CACHE_DIR as string), 'in CI: beside the stage, not in the work tree', {output: ci.all})
  t.equal(readManifest(written as string).header.digest, header.digest)

  chmodSync(path.join(dir, 'src/a.txt'), 0o664)
  const unstaged = await execa(process.execPath, [BIN, 'build', '--dry-run', '--no-stage', '--manifest', manifest, '.'], {
    cwd: dir,
    env,
    reject: false,
    all: true,
  })
  t.equal(unstaged.exitCode, 0, unstaged.all)
  t.match(readManifest(manifest).header, {modes: 'as-is'})
  t.ok(
    readManifest(manifest).entries.some((entry) => entry.path === 'src/a.txt' && entry.mode === '0664'),
    '--no-stage: the modes buildx is really sent',
  )
  const explained = await explainContext({manifest, context: dir, env})
  t.equal(explained.report.same, true, 'explained against the context as it is, modes and all')
})

/** oclif's error text as one line: it wraps at the terminal width behind `›` markers. */
function unwrapped(text: string): string {
  return text.replace(/\s*\n\s*›\s*/g, ' ')
}

t.test('a damaged or foreign manifest is refused with file and line', async (t) => {
  const source = await sourceRepo('bad-source')
  const file = path.join(root, 'bad.jsonl')
  await stageManifest(source, file)
  const lines = readFileSync(file, 'utf8').split('\n')
  writeFileSync(file, [...lines.slice(0, 2), ...lines.slice(3)].join('\n'))
  const cut = await execa(process.execPath, [BIN, 'explain', '--against', file, source], {env, reject: false})
  t.equal(cut.exitCode, ExitCode.INPUT)
  t.match(unwrapped(cut.stderr), /do not give the digest/)
  writeFileSync(file, '{"hello": 1}\n')
  const foreign = await execa(process.execPath, [BIN, 'explain', '--against', file, source], {env, reject: false})
  t.equal(foreign.exitCode, ExitCode.INPUT)
  t.match(unwrapped(foreign.stderr), /bad\.jsonl:1: not a dbuild context manifest/)
  rmSync(file)
  const missing = await execa(process.execPath, [BIN, 'explain', '--against', file, source], {env, reject: false})
  t.equal(missing.exitCode, ExitCode.NO_INPUT)
})
