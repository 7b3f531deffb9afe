/**
 * Issue 11 §1: a probe answer is keyed on the content of the contexts it reads. A stage that
 * copies the context, and a later `COPY --from=that-stage --exclude=…` that dbuild rewrites from
 * the stage's listing: add a file, rebuild, and the image must have it; the same Dockerfile in
 * another context must build. Before, the cached listing of the first context was reused.
 */
import {existsSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {execa} from 'execa'
import t from 'tap'

import {ROOT, useEngine} from '../engine/index.js'
import {gitRepo, tempDir, uniqueName} from '../helpers/index.js'

const BIN = path.join(ROOT, 'bin', 'run.js')
const engine = useEngine(t)

if (engine) {
  const root = tempDir(t)
  const env: NodeJS.ProcessEnv = {...engine.graphdriver.env, DBUILD_CACHE_DIR: path.join(root, 'cache'), NO_COLOR: '1'}
  delete env.CI
  const dockerfile = [`FROM ${engine.baseImage} AS src`, 'COPY . /app', 'FROM scratch', 'COPY --from=src --exclude=skip /app /app', ''].join('\n')
  const build = async (dir: string, out: string) => {
    const run = await execa(process.execPath, [BIN, 'build', '--network=host', '--progress=plain', '--output', `type=local,dest=${out}`, '.'], {cwd: dir, env, reject: false, all: true})
    return run
  }

  t.test('a file added to the context is in the rebuilt image', async (t) => {
    const dir = await gitRepo(path.join(root, uniqueName('ctx-a')), {Dockerfile: dockerfile, 'a.txt': 'a\n', 'skip/x': 'x\n'})
    const first = await build(dir, path.join(root, 'out-1'))
    t.equal(first.exitCode, 0, 'first build', {output: first.all})
    t.match(first.all, /exclude-root/, 'the line was rewritten from the listing')
    t.ok(existsSync(path.join(root, 'out-1', 'app', 'a.txt')), 'a.txt is there')
    t.notOk(existsSync(path.join(root, 'out-1', 'app', 'skip')), 'skip is excluded')

    writeFileSync(path.join(dir, 'b.txt'), 'b\n')
    const second = await build(dir, path.join(root, 'out-2'))
    t.equal(second.exitCode, 0, 'rebuild', {output: second.all})
    t.ok(existsSync(path.join(root, 'out-2', 'app', 'b.txt')), 'the new file is in the image')
    t.ok(existsSync(path.join(root, 'out-2', 'app', 'a.txt')), 'the old one too')
    t.notOk(existsSync(path.join(root, 'out-2', 'app', 'skip')), 'skip is still excluded')
  })

  t.test('the same Dockerfile in another context builds', async (t) => {
    const dir = await gitRepo(path.join(root, uniqueName('ctx-b')), {Dockerfile: dockerfile, 'c.txt': 'c\n', 'skip/y': 'y\n'})
    const run = await build(dir, path.join(root, 'out-3'))
    t.equal(run.exitCode, 0, 'builds', {output: run.all})
    t.ok(existsSync(path.join(root, 'out-3', 'app', 'c.txt')), "this context's file is there")
    t.notOk(existsSync(path.join(root, 'out-3', 'app', 'a.txt')), "the other context's file is not")
  })
}
