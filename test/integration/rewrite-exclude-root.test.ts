/**
 * exclude-root on the real engine (seed 001): a frontend without --exclude builds the rewrite,
 * and the exported tree is the stage minus the excluded path, broken symlink included.
 */
import {execFileSync} from 'node:child_process'
import path from 'node:path'

import t from 'tap'

import {builtinRules} from '../../plugins/index.js'
import {rewriteDockerfile} from '../../src/rewrite/index.js'
import {useEngine} from '../engine/index.js'
import {dockerOn, tempDir, writeTree} from '../helpers/index.js'

const engine = useEngine(t)

/** `mode owner path[ -> target]` of every tar entry, sorted. */
function tree(tar: string): string[] {
  return execFileSync('tar', ['-tvf', tar], {encoding: 'utf8'})
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(/\s+/))
    .map((f) => `${f[0]} ${f[1]} ${f.slice(5).join(' ').replace(/\/$/, '')}`)
    .sort()
}

if (engine) {
  const context = tempDir(t)
  const dockerfile = [
    `FROM ${engine.baseImage} AS base`,
    'RUN mkdir -p /opt /usr/share/doc/apt && touch /opt/foo && ln -s ../missing/NEWS.gz /usr/share/doc/apt/NEWS.gz',
    'FROM scratch AS final',
    'COPY --from=base --exclude=/opt / /',
    'COPY --from=base /opt /opt',
    '',
  ].join('\n')
  // the frontend here rejects the whole file for its --exclude, so the stage is also written alone
  writeTree(context, {Dockerfile: dockerfile, 'base.Dockerfile': dockerfile.split('\n').slice(0, 2).join('\n') + '\n'})

  t.test('seed 001 builds and exports the expected tree', async (t) => {
    const plain = await dockerOn(engine.containerd, ['buildx', 'build', '--network=host', '--progress=plain', context])
    t.not(plain.exitCode, 0, 'the original does not build on this engine')

    const result = await rewriteDockerfile(builtinRules, {
      text: dockerfile,
      file: 'Dockerfile',
      config: {},
      docker: {contextDir: context, env: engine.containerd.env, network: 'host'},
      cacheDir: tempDir(t),
    })
    t.notMatch(result.text, /--exclude/, 'no --exclude is left')
    const out = tempDir(t)
    const rewritten = tempDir(t)
    writeTree(rewritten, {Dockerfile: result.text})
    const run = await dockerOn(engine.containerd, ['buildx', 'build', '--network=host', '--progress=plain', '--output', `type=tar,dest=${path.join(out, 'final.tar')}`, rewritten])
    t.equal(run.exitCode, 0, 'the rewrite builds', {output: run.output, text: result.text})
    const stage = await dockerOn(engine.containerd, ['buildx', 'build', '--network=host', '-f', path.join(context, 'base.Dockerfile'), '--output', `type=tar,dest=${path.join(out, 'base.tar')}`, context])
    t.equal(stage.exitCode, 0, 'the stage exports')
    // The only expected difference: a directory copied by path is created 0755 (the finding says which).
    const reshaped = [...(result.findings.find((f) => f.ruleId === 'exclude-root')?.message.matchAll(/\/(\w+)/g) ?? [])].map((m) => m[1])
    const modeless = (line: string) => line.replace(/^d\S+ \S+ (\S+)$/, (all, name: string) => (reshaped.includes(name) ? `d (reshaped) ${name}` : all))
    const got = tree(path.join(out, 'final.tar')).map(modeless).sort()
    t.same(got, tree(path.join(out, 'base.tar')).map(modeless).sort(), 'the tree equals the stage (opt copied back separately)')
    t.ok(got.includes('lrwxrwxrwx 0/0 usr/share/doc/apt/NEWS.gz -> ../missing/NEWS.gz'), 'the broken symlink is kept')
  })
}
