/**
 * A checkout's .dbuild.json as an untrusted input, through the built CLI as a user runs it: plugins
 * run only when asked, a mirror cannot inject a line, the config used is named, bytes survive
 * `rewrite --write`, and a huge Dockerfile costs linear time and memory.
 */
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'
import t from 'tap'

import {ExitCode} from '../../src/exit-codes.js'
import {ROOT} from '../engine/index.js'
import {gitRepo, tempDir} from '../helpers/index.js'

const BIN = path.join(ROOT, 'bin', 'run.js')
/** OCLIF_COLUMNS: messages are matched whole, not as oclif wraps them to the terminal. */
const dbuild = (args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) =>
  execa(process.execPath, [BIN, ...args], {
    cwd,
    reject: false,
    stripFinalNewline: false,
    encoding: 'buffer',
    env: {
      ...process.env,
      NO_COLOR: '1',
      OCLIF_COLUMNS: '10000',
      DBUILD_PLUGINS: '',
      DBUILD_CACHE_DIR: path.join(cwd, '..', 'cache'),
      ...env,
    },
  })
const text = (output: unknown) => Buffer.from(output as Uint8Array).toString('utf8')

/** A plugin that leaves a file behind when it runs: proof that code ran. */
const marking = (marker: string) =>
  `import {writeFileSync} from 'node:fs'\nwriteFileSync(${JSON.stringify(marker)}, 'ran')\nexport default {id: 'marker', description: 'd', defaultSeverity: 'info', check: () => []}\n`

async function repo(t: Parameters<typeof tempDir>[0], files: Record<string, string>): Promise<string> {
  return gitRepo(path.join(tempDir(t), 'repo'), files)
}

t.test('lint and rewrite run no plugin unless asked, and their help says plugins are code', async (t) => {
  const dir = await repo(t, {Dockerfile: 'FROM scratch\n', 'tools/rule.mjs': '', '.dbuild.json': '{"plugins": ["./tools/rule.mjs"]}'})
  const marker = path.join(dir, '..', 'ran')
  writeFileSync(path.join(dir, 'tools', 'rule.mjs'), marking(marker))
  for (const command of ['lint', 'rewrite']) {
    const result = await dbuild([command, '--no-probe'], dir)
    t.equal(result.exitCode, 0, `${command} exits 0`, {stderr: text(result.stderr)})
    t.notOk(existsSync(marker), `${command} ran no plugin`)
    t.match(text(result.stderr), /plugins not loaded \(\.\/tools\/rule\.mjs\).*pass --plugins or set DBUILD_PLUGINS=1/)
    const help = await dbuild([command, '--help'], dir)
    t.match(
      text(help.stdout).replace(/\s+/g, ' '),
      /run as code on this machine, with your rights, as ESLint's configs do/,
      `${command} --help says so`,
    )
    t.match(text(help.stdout), /--\[no-\]plugins/)
  }
  const quiet = await dbuild(['lint', '--no-plugins'], dir)
  t.notMatch(text(quiet.stderr), /plugins not loaded/, '--no-plugins: no warning')
  const asked = await dbuild(['lint', '--plugins'], dir)
  t.equal(asked.exitCode, 0, '', {stderr: text(asked.stderr)})
  t.ok(existsSync(marker), '--plugins runs it')
})

t.test('a plugin path outside the repository or a data: URL is refused with exit 78, even when plugins are allowed', async (t) => {
  const root = tempDir(t)
  const marker = path.join(root, 'ran')
  writeFileSync(path.join(root, 'evil.mjs'), marking(marker))
  for (const plugin of ['../evil.mjs', `data:text/javascript,${encodeURIComponent(marking(marker))}`]) {
    const dir = await gitRepo(path.join(root, `repo-${Math.random().toString(36).slice(2)}`), {
      Dockerfile: 'FROM scratch\n',
      '.dbuild.json': JSON.stringify({plugins: [plugin]}),
    })
    const result = await dbuild(['lint', '--plugins'], dir)
    t.equal(result.exitCode, ExitCode.CONFIG, plugin)
    t.match(text(result.stderr), /\.dbuild\.json.*plugin/)
    t.notMatch(text(result.stderr), /\n\s+at /, 'no stack trace')
  }
  t.notOk(existsSync(marker))
})

t.test('a mirror with a newline is refused with exit 78 naming the key; nothing reaches the Dockerfile', async (t) => {
  const config = JSON.stringify({mirrors: {'docker.io/library/node': 'mirror.example/node\nRUN touch /pwned'}})
  const dir = await repo(t, {Dockerfile: 'FROM node:20\nRUN true\n', '.dbuild.json': config})
  const result = await dbuild(['rewrite', '--no-probe'], dir)
  t.equal(result.exitCode, ExitCode.CONFIG)
  t.match(
    text(result.stderr),
    /\.dbuild\.json:1:\d+: "mirrors" value "mirror\.example\/node\\nRUN touch \/pwned" for "docker\.io\/library\/node" is not an image name/,
  )
  t.equal(text(result.stdout), '', 'no Dockerfile printed')
  const write = await dbuild(['rewrite', '--no-probe', '--write'], dir)
  t.equal(write.exitCode, ExitCode.CONFIG)
  t.equal(readFileSync(path.join(dir, 'Dockerfile'), 'utf8'), 'FROM node:20\nRUN true\n')
})

t.test('config errors: line and column, words, every mistake; the config used is named', async (t) => {
  const dir = await repo(t, {Dockerfile: 'FROM scratch\n', '.dbuild.json': '{\n  "cacheFrom": ["a",]\n}\n'})
  const syntax = await dbuild(['lint'], dir)
  t.equal(syntax.exitCode, ExitCode.CONFIG)
  t.match(text(syntax.stderr), /\.dbuild\.json:2:21: a trailing comma is not allowed in JSON/)
  t.notMatch(text(syntax.stderr), /ValueExpected|PropertyNameExpected/)
  writeFileSync(path.join(dir, '.dbuild.json'), '{\n  "rules": {"link-chown": "yes"},\n  "users": {"app": 1000}\n}\n')
  const schema = await dbuild(['lint'], dir)
  t.equal(schema.exitCode, ExitCode.CONFIG)
  t.match(text(schema.stderr), /\.dbuild\.json:2:27: "rules" value for "link-chown"[^]*\.dbuild\.json:3:20: "users" value for "app"/)
  writeFileSync(path.join(dir, '.dbuild.json'), '{}\n')
  const ok = await dbuild(['lint'], dir)
  t.equal(ok.exitCode, 0)
  t.match(text(ok.stderr), `dbuild: config: ${path.join(dir, '.dbuild.json')}\n`)
})

t.test('rewrite --write keeps every non-UTF-8 byte on lines no rule touched', async (t) => {
  const dir = await repo(t, {'.dbuild.json': JSON.stringify({mirrors: {'docker.io/library/node': 'mirror.example/node'}})})
  const latin1 = (s: string) => Buffer.from(s, 'latin1')
  // a Latin-1 file with CRLF: "é", "ü", "©" are single bytes that are not UTF-8
  writeFileSync(path.join(dir, 'Dockerfile'), latin1('# Fran\u00e7ois M\u00fcller\r\nFROM node:20\r\nLABEL note="caf\u00e9 \u00a9"\r\n'))
  const result = await dbuild(['rewrite', '--no-probe', '--write'], dir)
  t.equal(result.exitCode, 0, '', {stderr: text(result.stderr)})
  t.equal(
    readFileSync(path.join(dir, 'Dockerfile')).toString('hex'),
    latin1('# Fran\u00e7ois M\u00fcller\r\nFROM mirror.example/node:20\r\nLABEL note="caf\u00e9 \u00a9"\r\n').toString('hex'),
  )
  writeFileSync(path.join(dir, 'Dockerfile'), latin1('\u00ef\u00bb\u00bfFROM node:20\r\nRUN echo \u00e9\r\n'))
  const stdout = await dbuild(['rewrite', '--no-probe'], dir)
  t.equal(
    Buffer.from(stdout.stdout as Uint8Array).toString('hex'),
    latin1('\u00ef\u00bb\u00bfFROM mirror.example/node:20\r\nRUN echo \u00e9\r\n').toString('hex'),
    'stdout too, BOM kept',
  )
})

t.test('5 MB of ENV lines: lint stays within a 512 MB heap and a minute (it ran out at 4.3 GB)', async (t) => {
  // every line reads an ARG from the top of the stage: a lookup that walked back over every earlier
  // write, or a copy of the environment per line, makes this quadratic
  const lines = ['FROM scratch', 'ARG BASE=/opt']
  for (let i = 0; lines.length * 50 < 5_000_000; i++) lines.push(`ENV VARIABLE_${i}=\${BASE}/value_${i}_with_some_padding`)
  const dir = await repo(t, {Dockerfile: `${lines.join('\n')}\n`})
  const started = Date.now()
  const result = await dbuild(['lint', '--format', 'json'], dir, {NODE_OPTIONS: '--max-old-space-size=512'})
  t.equal(result.exitCode, 0, 'exits 0', {stderr: text(result.stderr).slice(0, 2000)})
  t.ok(Date.now() - started < 60_000, `took ${Date.now() - started} ms`)
})

/** The path buildx gets with --file in a dry run's command line. */
const copyPath = (stdout: unknown) => /--file (\S+)/.exec(text(stdout))?.[1] ?? ''

t.test('build: -f naming a directory exits 66 with a message, not 70 with a stack trace', async (t) => {
  const dir = await repo(t, {Dockerfile: 'FROM scratch\n', 'docker/x': ''})
  for (const argv of [
    ['build', '--dry-run', '-f', 'docker', '.'],
    ['--dry-run', '-f', 'docker', '.'],
    ['lint', '-f', 'docker', '.'],
  ]) {
    const result = await dbuild(argv, dir)
    t.equal(result.exitCode, ExitCode.NO_INPUT, argv.join(' '))
    t.match(text(result.stderr), /docker: is a directory, not a Dockerfile/)
    t.notMatch(text(result.stderr), /EISDIR|\n\s+at /, 'no raw error, no stack trace')
  }
})

t.test('build names its config, runs plugins only when asked, refuses an injected mirror, and copies bytes', async (t) => {
  const mirrors = {'docker.io/library/node': 'mirror.example/node'}
  const dir = await repo(t, {'.dbuild.json': JSON.stringify({mirrors, plugins: ['./rule.mjs']}), 'rule.mjs': ''})
  const marker = path.join(dir, '..', 'ran')
  writeFileSync(path.join(dir, 'rule.mjs'), marking(marker))
  const latin1 = (s: string) => Buffer.from(s, 'latin1')
  writeFileSync(path.join(dir, 'Dockerfile'), latin1('# caf\u00e9\r\nFROM node:20\r\nLABEL a="\u00e9\u00a9"\r\n'))

  const plain = await dbuild(['build', '--dry-run', '.'], dir)
  t.equal(plain.exitCode, 0, '', {stderr: text(plain.stderr)})
  t.match(text(plain.stderr), `dbuild: config: ${path.join(dir, '.dbuild.json')}\n`, 'the config used is named')
  t.match(text(plain.stderr), /plugins not loaded \(\.\/rule\.mjs\)/)
  t.notOk(existsSync(marker), 'the plugin did not run, even for a dry run')
  t.equal(
    readFileSync(copyPath(plain.stdout)).toString('hex'),
    latin1('# caf\u00e9\r\nFROM mirror.example/node:20\r\nLABEL a="\u00e9\u00a9"\r\n').toString('hex'),
    'the copy buildx reads keeps every other byte',
  )

  const quiet = await dbuild(['build', '--dry-run', '-q', '.'], dir)
  t.notMatch(text(quiet.stderr), /dbuild: config:/, "-q: nothing of dbuild's own")
  const bare = await dbuild(['--dry-run', '--plugins', '.'], dir)
  t.equal(bare.exitCode, 0, '', {stderr: text(bare.stderr)})
  t.ok(existsSync(marker), '--plugins runs it (bare form)')

  writeFileSync(path.join(dir, '.dbuild.json'), JSON.stringify({mirrors: {node: 'mirror.example/node\nRUN touch /pwned'}}))
  const injected = await dbuild(['build', '--dry-run', '.'], dir)
  t.equal(injected.exitCode, ExitCode.CONFIG)
  t.match(text(injected.stderr), /"mirrors" value .* for "node" is not an image name/)

  const help = await dbuild(['build', '--help'], dir)
  t.match(text(help.stdout).replace(/\s+/g, ' '), /run as code on this machine, with your rights/)
})

t.test('outside git, a config in a parent directory is not used', async (t) => {
  const root = tempDir(t)
  const context = path.join(root, 'ctx')
  writeFileSync(path.join(root, '.dbuild.json'), JSON.stringify({cacheFrom: ['type=registry,ref=planted.example/x']}))
  await execa('mkdir', [context])
  writeFileSync(path.join(context, 'Dockerfile'), 'FROM scratch\n')
  const result = await dbuild(['build', '--dry-run', '.'], context)
  t.equal(result.exitCode, 0, '', {stderr: text(result.stderr)})
  t.notMatch(text(result.stdout), /planted/)
  t.match(text(result.stderr), 'dbuild: config: none')
})

/** A tiny file system for dbuild's cache: mounting needs root with CAP_SYS_ADMIN. */
async function smallCache(t: Parameters<typeof tempDir>[0]): Promise<string | undefined> {
  const dir = path.join(tempDir(t), 'cache')
  await execa('mkdir', [dir])
  const mounted = await execa('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], {reject: false})
  if (mounted.exitCode !== 0) return undefined
  t.teardown(async () => {
    await execa('umount', [dir], {reject: false})
  })
  return dir
}

t.test(
  'build: a Dockerfile copy that cannot be written goes through a temp directory, with a warning; unchanged, buildx reads the original',
  async (t) => {
    const cache = await smallCache(t)
    if (!cache) return t.plan(0, 'mounting a small tmpfs needs root with CAP_SYS_ADMIN')
    const dir = await repo(t, {
      Dockerfile: 'FROM node:20\n',
      'plain.Dockerfile': 'FROM scratch\n',
      '.dbuild.json': JSON.stringify({mirrors: {node: 'mirror.example/node'}}),
    })
    writeFileSync(path.join(cache, 'filler'), Buffer.alloc(64 * 1024)) // the disk is full
    const full = await dbuild(['build', '--dry-run', '--no-stage', '.'], dir, {DBUILD_CACHE_DIR: cache})
    t.equal(full.exitCode, 0, 'full: the build goes on, as plain buildx would', {stderr: text(full.stderr)})
    t.match(text(full.stderr), /cannot write the Dockerfile copy: ENOSPC; the rewritten Dockerfile goes to buildx from \S+ instead/)
    t.notMatch(text(full.stderr), /\n\s+at /, 'no stack trace')

    await execa('mount', ['-o', 'remount,ro', cache])
    const readOnly = await dbuild(['build', '--dry-run', '--no-stage', '.'], dir, {DBUILD_CACHE_DIR: cache})
    t.equal(readOnly.exitCode, 0, 'read-only: the build goes on')
    t.match(text(readOnly.stderr), /cannot write the Dockerfile copy: EROFS; the rewritten Dockerfile goes to buildx from \S+ instead/)

    const unchanged = await dbuild(['build', '--dry-run', '--no-stage', '-f', 'plain.Dockerfile', '.'], dir, {DBUILD_CACHE_DIR: cache})
    t.equal(unchanged.exitCode, 0, 'nothing to rewrite: the build goes on', {stderr: text(unchanged.stderr)})
    t.match(text(unchanged.stderr), /warning: .*cannot write the Dockerfile copy: E[A-Z]+; buildx reads .*plain\.Dockerfile itself/)
    t.match(text(unchanged.stdout), / -f plain\.Dockerfile /, 'buildx gets the original Dockerfile')

    // CI writes a manifest beside the stage on its own: one that cannot be written must not fail the build
    const inCI = await dbuild(['build', '--dry-run', '--no-stage', '-f', 'plain.Dockerfile', '.'], dir, {
      DBUILD_CACHE_DIR: cache,
      CI: 'true',
    })
    t.equal(inCI.exitCode, 0, 'CI, read-only cache: the build goes on', {stderr: text(inCI.stderr)})
    t.match(text(inCI.stderr), /warning: .*cannot write the manifest \(EROFS\); the build goes on without it/)
    const asked = await dbuild(
      ['build', '--dry-run', '--no-stage', '--manifest', path.join(cache, 'm.jsonl'), '-f', 'plain.Dockerfile', '.'],
      dir,
      {DBUILD_CACHE_DIR: cache, CI: 'true'},
    )
    t.equal(asked.exitCode, ExitCode.CANT_CREATE, '--manifest FILE that cannot be written: 73')
  },
)
