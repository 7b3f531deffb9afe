/** Control characters in what dbuild prints from the user's files are shown escaped, never obeyed by the terminal. */
import {chmodSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'
import t from 'tap'

import {ExitCode, formatError} from '../../src/exit-codes.js'
import {printable} from '../../src/printable.js'
import {ROOT} from '../engine/index.js'
import {tempDir} from '../helpers/index.js'
import {dbuildOnPty, terminalEnv} from '../helpers/pty.js'

const BIN = path.join(ROOT, 'bin', 'run.js')

t.test('printable escapes C0, DEL and C1 controls; keeps tabs and line feeds', async (t) => {
  const cases: Array<[string, string]> = [
    ['plain text', 'plain text'],
    ['\u001b[2J', '\\x1b[2J'],
    ['\u001b]0;title\u0007', '\\x1b]0;title\\x07'],
    ['a\rb', 'a\\rb'],
    ['tab\there\nnext', 'tab\there\nnext'],
    ['\u007f\u009b\u0085', '\\x7f\\u009b\\u0085'],
    ['é ünïcode ✓', 'é ünïcode ✓'],
  ]
  for (const [text, shown] of cases) t.equal(printable(text), shown, JSON.stringify(text))
  t.equal(printable('a\nb', {newlines: false}), 'a\\x0ab', 'a line feed escaped where one line is meant')
  t.equal(formatError({message: 'x\u001b[2J: not found', suggestions: ['fix \u0007']}), 'Error: x\\x1b[2J: not found\nTry this: fix \\x07')
})

t.test('an error naming a file whose name holds escape sequences prints them escaped, byte for byte', async (t) => {
  const root = tempDir(t)
  const name = path.join(root, 'ctx\u001b[2J\u001b]0;pwned\u0007\r')
  const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1', DBUILD_CACHE_DIR: path.join(root, 'cache')}
  delete env.NODE_OPTIONS
  const run = await execa(process.execPath, [BIN, 'build', '--dry-run', name], {env, reject: false, encoding: 'buffer'})
  t.equal(run.exitCode, ExitCode.NO_INPUT, 'the context is missing')
  const stderr = Buffer.from(run.stderr)
  for (const byte of [0x1b, 0x07, 0x0d]) t.equal(stderr.indexOf(byte), -1, `no raw 0x${byte.toString(16)} on stderr`)
  t.ok(
    stderr.toString('utf8').includes(`Error: ${root}/ctx\\x1b[2J\\x1b]0;pwned\\x07\\r: build context not found`),
    'the name shown escaped',
    {stderr: stderr.toString('utf8')},
  )
  t.equal(Buffer.from(run.stdout).length, 0, 'nothing on stdout')
})

const ESC = '\u001b'
/** A file name and Dockerfile text that would clear the screen and set the window title if printed raw. */
const HOSTILE_NAME = `Docker${ESC}[2Jfile\nx`
const HOSTILE_DOCKERFILE = `FROM scratch\nCOPY --link --chown=ap${ESC}[2Jp a.txt /x\nCOPY --from=b${ESC}]0;t\u0007 / /\n`

function hostileProject(t: Parameters<typeof tempDir>[0]): {dir: string; env: NodeJS.ProcessEnv} {
  const dir = tempDir(t)
  writeFileSync(path.join(dir, HOSTILE_NAME), HOSTILE_DOCKERFILE)
  writeFileSync(path.join(dir, 'a.txt'), 'a\n')
  const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1', DBUILD_CACHE_DIR: path.join(dir, '.cache')}
  delete env.NODE_OPTIONS
  delete env.FORCE_COLOR
  return {dir, env}
}

async function dbuild(
  args: string[],
  options: {cwd: string; env: NodeJS.ProcessEnv},
): Promise<{exitCode?: number; stdout: Buffer; stderr: Buffer}> {
  const run = await execa(process.execPath, [BIN, ...args], {...options, reject: false, encoding: 'buffer', stripFinalNewline: false})
  return {...(run.exitCode === undefined ? {} : {exitCode: run.exitCode}), stdout: Buffer.from(run.stdout), stderr: Buffer.from(run.stderr)}
}

/** Raw control bytes other than tab and line feed; `allowed` lists dbuild's own colour sequences to ignore. */
function rawControls(bytes: Buffer, allowed: string[] = []): string[] {
  let text = bytes.toString('utf8')
  for (const sequence of allowed) text = text.replaceAll(sequence, '')
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  return [...text.matchAll(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/gu)].map((match) => JSON.stringify(match[0]))
}

t.test('lint prints a Dockerfile name and line with escape sequences escaped, byte for byte; colours stay', async (t) => {
  const {dir, env} = hostileProject(t)
  const run = await dbuild(['lint', '-f', HOSTILE_NAME, '.'], {cwd: dir, env})
  t.equal(run.exitCode, ExitCode.FINDINGS)
  t.same(rawControls(run.stdout), [], 'no raw control byte on stdout')
  t.same(rawControls(run.stderr), [], 'no raw control byte on stderr')
  const first = run.stdout.toString('utf8').split('\n')[0] ?? ''
  t.ok(first?.startsWith('Docker\\x1b[2Jfile\\x0ax:2: error [link-chown] --link --chown=ap\\x1b[2Jp names a user'), first)
  const painted = await dbuild(['lint', '-f', HOSTILE_NAME, '.'], {cwd: dir, env: {...env, NO_COLOR: undefined, FORCE_COLOR: '1'}})
  t.same(rawControls(painted.stdout, [`${ESC}[31m`, `${ESC}[0m`]), [], 'only dbuild’s own colour sequences are raw')
  t.ok(
    painted.stdout.includes(`${ESC}[31merror${ESC}[0m [link-chown] --link --chown=ap\\x1b[2Jp`),
    'the severity painted, the line escaped',
  )
})

t.test('github and checkstyle findings carry no raw control byte', async (t) => {
  const {dir, env} = hostileProject(t)
  const github = await dbuild(['lint', '-f', HOSTILE_NAME, '--format', 'github', '.'], {cwd: dir, env})
  t.same(rawControls(github.stdout), [])
  t.ok(github.stdout.toString('utf8').startsWith('::error file=Docker\\x1b[2Jfile%0Ax,line=2,'), github.stdout.toString('utf8'))
  const checkstyle = await dbuild(['lint', '-f', HOSTILE_NAME, '--format', 'checkstyle', '.'], {cwd: dir, env})
  t.same(rawControls(checkstyle.stdout), [])
  t.ok(checkstyle.stdout.toString('utf8').includes('<file name="Docker\\x1b[2Jfile&#10;x">'))
})

t.test('rewrite --diff into a pipe is a patch git applies byte for byte; on a terminal it is shown escaped', async (t) => {
  const {dir, env} = hostileProject(t)
  writeFileSync(path.join(dir, '.dbuild.json'), JSON.stringify({users: {[`ap${ESC}[2Jp`]: '1000:1000'}}))
  await execa('git', ['init', '-q'], {cwd: dir})
  const piped = await dbuild(['rewrite', '--diff', '-f', HOSTILE_NAME, '.'], {cwd: dir, env})
  t.equal(piped.exitCode, 0, piped.stderr.toString('utf8'))
  t.same(rawControls(piped.stderr), [], 'the findings on stderr are escaped')
  t.ok(
    piped.stdout.toString('utf8').startsWith('--- "a/Docker\\033[2Jfile\\nx"\n+++ "b/Docker\\033[2Jfile\\nx"\n'),
    'the names quoted as git quotes them',
  )
  t.ok(piped.stdout.includes(`COPY --from=b${ESC}]0;t\u0007 / /`), 'the unchanged line is context, byte for byte')
  await execa('git', ['apply', '-'], {cwd: dir, input: piped.stdout})
  t.equal(
    readFileSync(path.join(dir, HOSTILE_NAME), 'utf8'),
    HOSTILE_DOCKERFILE.replace(`--chown=ap${ESC}[2Jp`, '--chown=1000:1000'),
    'git applied it',
  )
  writeFileSync(path.join(dir, HOSTILE_NAME), HOSTILE_DOCKERFILE)
  const shown = await dbuildOnPty(['rewrite', '--diff', '-f', HOSTILE_NAME, '.'], {columns: 120, cwd: dir, env: {...env, NO_COLOR: '1'}})
  t.equal(shown.exitCode, 0)
  t.same(rawControls(Buffer.from(shown.output.replaceAll('\r\n', '\n'))), [], 'nothing raw on the terminal')
  t.ok(shown.output.includes('-COPY --link --chown=ap\\x1b[2Jp a.txt /x'), shown.output)
})

t.test("build --dry-run prints a build arg with escape sequences as $'…', which pastes back as the same word", async (t) => {
  const {dir, env} = hostileProject(t)
  const value = `A=x${ESC}[2J'\\\u0007`
  const run = await dbuild(['build', '--dry-run', '-f', HOSTILE_NAME, '--build-arg', value, '.'], {cwd: dir, env})
  t.equal(run.exitCode, 0, run.stderr.toString('utf8'))
  t.same(rawControls(run.stdout), [])
  t.same(rawControls(run.stderr), [])
  const line = run.stdout.toString('utf8').trim()
  t.ok(line.includes(`--build-arg $'A=x\\033[2J\\'\\\\\\007'`), line)
  const words = await execa('bash', ['-c', `for word in ${line.slice(line.indexOf('--build-arg'))}; do printf '%s\\0' "$word"; done`])
  t.equal(words.stdout.split('\0')[1], value, 'bash reads the word back')
})

t.test('doctor on a terminal: its colours, and a DOCKER_HOST holding escape sequences shown escaped', async (t) => {
  const {dir, env} = hostileProject(t)
  const run = await dbuildOnPty(['doctor'], {
    columns: 160,
    cwd: dir,
    env: terminalEnv({DOCKER_HOST: `unix://${dir}/no${ESC}[2J.sock`, DBUILD_CACHE_DIR: env.DBUILD_CACHE_DIR}),
  })
  t.ok(run.output.includes(`${ESC}[31mFAIL${ESC}[0m`), 'FAIL painted')
  t.notOk(run.output.includes(`no${ESC}[2J`), 'the host’s escape not obeyed')
  t.ok(run.output.includes('no\\x1b[2J.sock'), 'the host shown escaped')
})

t.test('explain --modes names a file with escape sequences escaped', async (t) => {
  const {dir, env} = hostileProject(t)
  const name = `bad${ESC}]0;x\u0007name`
  writeFileSync(path.join(dir, name), 'x', {mode: 0o666})
  chmodSync(path.join(dir, name), 0o666)
  const run = await dbuild(['explain', '--modes', '-f', HOSTILE_NAME, '.'], {cwd: dir, env})
  t.equal(run.exitCode, ExitCode.FINDINGS)
  t.same(rawControls(run.stdout), [])
  t.ok(run.stdout.toString('utf8').includes('  bad\\x1b]0;x\\x07name: 0666, canonical 0644'), run.stdout.toString('utf8'))
})
