/**
 * link-chown against plain buildx for the --chown spellings BuildKit reads in its own way: an empty
 * group (`app:`) is gid 0, an empty user (`:users`) is uid 0, and a name whose ID is 2^31 or more is
 * left alone. On the graphdriver store plain buildx builds each line, and dbuild's image must be
 * plain's; on the containerd store plain buildx fails on a linked name lookup ("invalid user index"),
 * and dbuild builds with the owners the graphdriver store gives.
 */
import t from 'tap'

import {useEngine} from '../engine/index.js'
import {gitRepo, tempDir} from '../helpers/index.js'
import {buildBoth, type TarEntry} from '../helpers/oracle.js'

const engine = useEngine(t)

const owner = (entries: TarEntry[], file: string) => {
  const entry = entries.find((e) => e.path === file)
  return entry ? `${entry.uid}:${entry.gid}` : 'absent'
}

if (engine) {
  const cases = [
    {chown: 'app:', want: '1000:0'},
    {chown: ':users', want: '0:100'},
    {chown: 'app:users', want: '1000:100'},
  ]
  const dockerfile = [`FROM ${engine.localBaseImage}`, ...cases.map(({chown}, i) => `COPY --link --chown=${chown} f /f${i}`), ''].join('\n')
  const repo = await gitRepo(tempDir(t), {Dockerfile: dockerfile, f: 'x\n'})

  t.test("graphdriver: every spelling gives plain buildx's owners", async (t) => {
    const {plain, ours, differences} = await buildBoth(engine.graphdriver, {dir: repo})
    t.equal(plain.exitCode, 0, 'plain buildx builds', {output: plain.output.slice(-2000)})
    t.equal(ours.exitCode, 0, 'dbuild builds', {output: ours.output.slice(-2000)})
    t.same(differences, [], 'the same image as plain buildx')
    cases.forEach(({chown, want}, i) => t.equal(owner(ours.entries, `f${i}`), want, `--chown=${chown} is ${want}`))
  })

  t.test('containerd: dbuild builds where plain buildx cannot look the names up, with the same owners', async (t) => {
    const {ours} = await buildBoth(engine.containerd, {dir: repo})
    t.equal(ours.exitCode, 0, 'dbuild builds', {output: ours.output.slice(-2000)})
    cases.forEach(({chown, want}, i) => t.equal(owner(ours.entries, `f${i}`), want, `--chown=${chown} is ${want}`))
  })

  t.test("a user whose uid is 2^31 or more: the line is left alone, so the image is plain buildx's", async (t) => {
    const big = await gitRepo(tempDir(t), {
      Dockerfile: [
        `FROM ${engine.localBaseImage}`,
        "RUN echo 'big:x:2147483648:100::/:/bin/sh' >> /etc/passwd",
        'COPY --link --chown=big f /f',
        '',
      ].join('\n'),
      f: 'x\n',
    })
    const {plain, ours, differences} = await buildBoth(engine.graphdriver, {dir: big})
    t.equal(ours.exitCode, plain.exitCode, 'dbuild ends as plain buildx does', {
      plain: plain.output.slice(-1500),
      ours: ours.output.slice(-1500),
    })
    if (plain.exitCode === 0) t.same(differences, [], 'the same image as plain buildx')
    t.match(ours.output, /2\^31 or more/, 'dbuild says why it left the line alone')
  })
}
