/**
 * The spinner on real ptys. On a pty that reports 0 columns ora's redraw never
 * ended and flooded the terminal (486 MB in 10 minutes) before buildx started; colour follows the TTY,
 * NO_COLOR and FORCE_COLOR.
 */
import {writeFileSync} from 'node:fs'
import path from 'node:path'

import t from 'tap'

import {stageProgressText} from '../../src/actions/stage.js'
import {colorEnabled, spinnerAllowed} from '../../src/terminal.js'
import {useEngine} from '../engine/index.js'
import {tempDir, uniqueName, writeTree} from '../helpers/index.js'
import {dbuildOnPty, terminalEnv} from '../helpers/pty.js'

const ESC = '\u001B'

/** A terminal that flooded would write megabytes; dbuild's own lines are a few hundred bytes. */
const QUIET_ENOUGH = 20_000

function project(t: Parameters<typeof tempDir>[0]): {dir: string; env: NodeJS.ProcessEnv} {
  const dir = tempDir(t)
  writeTree(dir, {Dockerfile: 'FROM scratch\nCOPY a.txt /a.txt\n', 'a.txt': 'a\n'})
  return {dir, env: terminalEnv({DBUILD_CACHE_DIR: path.join(tempDir(t), 'cache')})}
}

t.test('spinnerAllowed: only a TTY with a width, outside CI, not dumb', async (t) => {
  const tty = {isTTY: true, columns: 80}
  t.equal(spinnerAllowed(tty, {TERM: 'xterm'}), true)
  t.equal(spinnerAllowed({isTTY: true, columns: 0}, {TERM: 'xterm'}), false, '0 columns')
  t.equal(spinnerAllowed({isTTY: true}, {TERM: 'xterm'}), false, 'width unknown')
  t.equal(spinnerAllowed({isTTY: false, columns: 80}, {}), false, 'not a TTY')
  t.equal(spinnerAllowed(tty, {CI: 'true'}), false, 'CI')
  t.equal(spinnerAllowed(tty, {CI: '1'}), false, 'CI=1')
  t.equal(spinnerAllowed(tty, {CI: 'false'}), true, 'CI=false')
  t.equal(spinnerAllowed(tty, {TERM: 'dumb'}), false, 'TERM=dumb')
})

t.test('colorEnabled: NO_COLOR, then FORCE_COLOR, then the TTY', async (t) => {
  t.equal(colorEnabled({isTTY: true}, {}), true)
  t.equal(colorEnabled({isTTY: false}, {}), false)
  t.equal(colorEnabled({isTTY: true}, {NO_COLOR: '1'}), false)
  t.equal(colorEnabled({isTTY: true}, {NO_COLOR: ''}), true, 'an empty NO_COLOR does not count')
  t.equal(colorEnabled({isTTY: false}, {FORCE_COLOR: '1'}), true)
  t.equal(colorEnabled({isTTY: true}, {FORCE_COLOR: '0'}), false)
  t.equal(colorEnabled({isTTY: false}, {FORCE_COLOR: '1', NO_COLOR: '1'}), false, 'NO_COLOR wins')
  t.equal(colorEnabled({isTTY: true}, {TERM: 'dumb'}), false)
})

for (const columns of [0, 80]) {
  t.test(`--dry-run on a real pty with ${columns} columns ends at once and prints the command`, async (t) => {
    const {dir, env} = project(t)
    const run = await dbuildOnPty(['--dry-run', '-t', 'app', '.'], {columns, cwd: dir, env})
    t.equal(run.exitCode, 0, `exits 0 (not killed after ${run.seconds}s): ${run.output.slice(0, 400)}`)
    t.ok(run.seconds < 15, `done in ${run.seconds}s`)
    t.match(run.output, /docker buildx build .*-t app/, 'the dry run printed the buildx command')
    t.ok(run.output.length < QUIET_ENOUGH, `${run.output.length} bytes written`)
    if (columns === 0) t.notOk(run.output.includes(`${ESC}[1A`), 'no cursor-up redraws without a width')
  })
}

t.test('stage on a real pty with 0 columns ends and prints the stage directory', async (t) => {
  const {dir, env} = project(t)
  const run = await dbuildOnPty(['stage', '.'], {columns: 0, cwd: dir, env})
  t.equal(run.exitCode, 0, run.output.slice(0, 400))
  t.match(run.output, /stage.*context/, 'the stage directory was printed')
  t.ok(run.output.length < QUIET_ENOUGH, `${run.output.length} bytes written`)
})

t.test('TERM=dumb and CI on an 80-column pty: no spinner', async (t) => {
  const {dir, env} = project(t)
  for (const extra of [{TERM: 'dumb'}, {CI: 'true'}]) {
    const run = await dbuildOnPty(['--dry-run', '.'], {columns: 80, cwd: dir, env: {...env, ...extra}})
    t.equal(run.exitCode, 0)
    t.notOk(run.output.includes(`${ESC}[?25l`), `${JSON.stringify(extra)}: the cursor is never hidden for a spinner`)
  }
})

t.test('doctor on a pty colours pass/WARN/FAIL; NO_COLOR turns it off, FORCE_COLOR on in a pipe', async (t) => {
  const {dir, env} = project(t)
  const noDaemon = {DOCKER_HOST: `unix://${path.join(dir, 'no.sock')}`}
  const coloured = await dbuildOnPty(['doctor'], {columns: 100, cwd: dir, env: {...env, ...noDaemon}})
  t.ok(coloured.output.includes(`${ESC}[31mFAIL${ESC}[0m`), 'FAIL in red on a TTY')
  t.ok(coloured.output.includes(`${ESC}[32mpass${ESC}[0m`), 'pass in green on a TTY')
  const plain = await dbuildOnPty(['doctor'], {columns: 100, cwd: dir, env: {...env, ...noDaemon, NO_COLOR: '1'}})
  t.notOk(plain.output.includes(`${ESC}[3`), 'NO_COLOR: no colour')
  t.match(plain.output, /FAIL {2}docker daemon/)
})

t.test('stage progress is counted against the total, with the rate', async (t) => {
  t.equal(stageProgressText('app', 1200, 3000, 500), 'Staging app: 1200 of 3000 paths written (40%, 2400/s)')
  t.equal(stageProgressText('.', 0, 0, 0), 'Staging .: 0 of 0 paths written (100%)')
})

t.test('a large stage on an 80-column pty shows progress against the total', async (t) => {
  const dir = tempDir(t)
  const files: Record<string, string> = {}
  for (let i = 0; i < 4000; i++) files[`d${i % 40}/f${i}.txt`] = `${i}\n`
  writeTree(dir, files)
  const run = await dbuildOnPty(['stage', '.'], {
    columns: 80,
    cwd: dir,
    env: terminalEnv({DBUILD_CACHE_DIR: path.join(tempDir(t), 'cache')}),
    seconds: 60,
  })
  t.equal(run.exitCode, 0, run.output.slice(-400))
  t.match(run.output, /Staging \.: \d+ of 40\d\d paths written \(\d+%/, 'the spinner counts against the total')
})

const engine = useEngine(t)
if (engine) {
  t.test('a real build on a 0-column pty runs buildx and ends', async (t) => {
    const dir = tempDir(t)
    const tag = uniqueName('dbuild-test/pty')
    writeTree(dir, {Dockerfile: `FROM ${engine.localBaseImage}\nRUN echo ${tag} > /built\n`})
    writeFileSync(path.join(dir, '.dockerignore'), '')
    const env = {...terminalEnv({DBUILD_CACHE_DIR: path.join(tempDir(t), 'cache')}), DOCKER_HOST: engine.graphdriver.host}
    const run = await dbuildOnPty(['--network=host', '--progress=plain', '-t', tag, '.'], {columns: 0, cwd: dir, env, seconds: 120})
    t.equal(run.exitCode, 0, run.output.slice(-800))
    t.match(run.output, /naming to .*dbuild-test\/pty/, 'buildx ran and named the image')
    t.ok(run.output.length < 200_000, `${run.output.length} bytes written`)
  })
}
