/**
 * Run from a working directory that was deleted (a shell still in a removed checkout or temp dir):
 * plain `docker buildx build /abs/ctx` builds from there, so `dbuild build /abs/ctx` must too, with
 * the same image; lint of an absolute path and doctor work; a relative path, which would need the
 * working directory, is a clear error naming it (66), never resolved from somewhere else, and never
 * a raw Node stack. Each command is a real process started in a directory removed just before.
 */
import {mkdirSync} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'
import t, {type Test} from 'tap'

import {shellQuote} from '../../src/buildx/quote.js'
import {ExitCode} from '../../src/exit-codes.js'
import {ROOT, useEngine} from '../engine/index.js'
import {gitRepo, tempDir, uniqueName} from '../helpers/index.js'
import {compareImages, readTar} from '../helpers/oracle.js'

const BIN = path.join(ROOT, 'bin', 'run.js')
const engine = useEngine(t)

if (engine) {
  const root = tempDir(t, 'dbuild-deleted-cwd-')
  const daemon = engine.graphdriver
  const env: NodeJS.ProcessEnv = {...daemon.env, DBUILD_CACHE_DIR: path.join(root, 'cache'), NO_COLOR: '1'}
  delete env.CI

  /**
   * `command` started in a directory of `root` that is removed just before (the shell stays in it);
   * without the test runner's NODE_OPTIONS, whose --import hooks ask for the working directory first.
   */
  const inDeletedDir = async (command: string[]) => {
    const gone = path.join(root, uniqueName('gone'))
    mkdirSync(gone)
    const script = `cd ${shellQuote(gone)} && rmdir ${shellQuote(gone)} && unset NODE_OPTIONS && exec ${command.map(shellQuote).join(' ')}`
    const result = await execa('sh', ['-c', script], {cwd: root, env, extendEnv: false, reject: false, all: true})
    return {exitCode: result.exitCode ?? 1, output: result.all ?? ''}
  }
  const dbuild = (args: string[]) => inDeletedDir([process.execPath, BIN, ...args])
  const noStack = (t: Test, output: string) => {
    t.notMatch(output, /uv_cwd|dbuild bug|\n\s+at \S+ \(/, 'no raw Node error or stack')
  }

  t.test('an absolute context builds as plain buildx builds it; lint and doctor run', async (t) => {
    const ctx = await gitRepo(path.join(root, 'ctx'), {
      Dockerfile: 'FROM scratch\nCOPY . /app/\n',
      'hello.txt': 'hello\n',
      'sub/deep.txt': 'deep\n',
    })
    const tars = {plain: path.join(root, 'plain.tar'), ours: path.join(root, 'ours.tar')}
    const started = {plain: Date.now() / 1000, ours: 0}
    const plain = await inDeletedDir(['docker', 'buildx', 'build', '--progress=plain', '--output', `type=tar,dest=${tars.plain}`, ctx])
    t.equal(plain.exitCode, 0, 'the control: plain buildx builds an absolute context from a deleted directory', {output: plain.output})
    started.ours = Date.now() / 1000
    const ours = await dbuild(['build', '--progress=plain', '--output', `type=tar,dest=${tars.ours}`, ctx])
    t.equal(ours.exitCode, 0, 'dbuild builds it too', {output: ours.output})
    noStack(t, ours.output)
    t.same(compareImages(await readTar(tars.plain), await readTar(tars.ours), {started}), [], 'the same image as plain buildx')

    const lint = await dbuild(['lint', path.join(ctx, 'Dockerfile')])
    t.equal(lint.exitCode, 0, 'lint of an absolute Dockerfile', {output: lint.output})
    t.match(lint.output, /linted 1 file/)
    noStack(t, lint.output)

    const doctor = await dbuild(['doctor'])
    t.ok(doctor.exitCode === ExitCode.OK || doctor.exitCode === ExitCode.FINDINGS, 'doctor reports (0 or 1)', {output: doctor.output})
    t.match(doctor.output, /docker CLI/, 'the checks are printed')
    noStack(t, doctor.output)
  })

  t.test('a relative path needs the working directory: a clear error naming it', async (t) => {
    const ctx = await gitRepo(path.join(root, 'ctx-rel'), {Dockerfile: 'FROM scratch\nCOPY . /app/\n', 'hello.txt': 'hello\n'})
    const cases: Array<[string[], RegExp]> = [
      [['build', '--dry-run', '.'], /\.: build context is a relative path, and the working directory no longer exists/],
      [['build', '--dry-run', '-f', 'Dockerfile', ctx], /Dockerfile: the Dockerfile is a relative path/],
      [['lint', 'Dockerfile'], /Dockerfile: a path to lint is a relative path/],
      [['lint'], /the directory to lint is a relative path/],
      [['bake', '--print'], /the directory bake reads its definition from is a relative path/],
    ]
    for (const [args, message] of cases) {
      const run = await dbuild(args)
      t.equal(run.exitCode, ExitCode.NO_INPUT, `dbuild ${args.join(' ')}: 66`, {output: run.output})
      t.match(run.output, message, 'names the path and why')
      noStack(t, run.output)
    }
  })
}
