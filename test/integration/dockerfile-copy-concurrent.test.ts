/**
 * Concurrent builds of one context whose rewritten Dockerfiles differ (a build arg feeds a rewritten
 * `COPY --link --chown=$U`) each build their own rewrite: the copy buildx reads is named by its content,
 * so one build never gets the other's owners. Each image equals plain buildx's with the same args.
 */
import {mkdtempSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import t from 'tap'

import {useEngine} from '../engine/index.js'
import {tempDir, writeTree} from '../helpers/index.js'
import {buildTar, compareBuilds} from '../helpers/oracle.js'

const engine = useEngine(t)

if (engine) {
  t.test('two concurrent builds with different --build-arg values get their own owners', async (t) => {
    const context = tempDir(t)
    writeTree(context, {
      foo: 'hi\n',
      '.dbuild.json': JSON.stringify({rules: {'link-chown': 'fix'}, users: {alice: '1001:1001', bob: '1002:1002'}}),
      Dockerfile: [
        `FROM ${engine.baseImage}`,
        "RUN echo 'alice:x:1001:1001::/:/bin/sh' >> /etc/passwd && echo 'bob:x:1002:1002::/:/bin/sh' >> /etc/passwd",
        "RUN echo 'alice:x:1001:' >> /etc/group && echo 'bob:x:1002:' >> /etc/group",
        'ARG U',
        'COPY --link --chown=$U foo /owned',
        '',
      ].join('\n'),
    })
    const work = mkdtempSync(path.join(os.tmpdir(), 'dbuild-copy-race-'))
    t.teardown(() => rmSync(work, {recursive: true, force: true}))
    const cacheDir = path.join(work, 'cache')
    const users = {alice: 1001, bob: 1002}
    for (let round = 0; round < 3; round++) {
      const ours = await Promise.all(
        Object.keys(users).map((user) =>
          buildTar('dbuild', engine.containerd, {dir: context, args: ['--build-arg', `U=${user}`], cacheDir, shareClient: true}, work),
        ),
      )
      for (const [index, [user, uid]] of Object.entries(users).entries()) {
        const result = ours[index]!
        t.equal(result.exitCode, 0, `round ${round}: ${user}'s build succeeds`, {output: result.output})
        const owned = result.entries.find((entry) => entry.path === 'owned')
        t.equal(owned?.uid, uid, `round ${round}: ${user}'s build owns /owned as ${uid}`)
      }
    }
    for (const user of Object.keys(users)) {
      const options = {dir: context, args: ['--build-arg', `U=${user}`]}
      const plain = await buildTar('plain', engine.graphdriver, options, work)
      const ours = await buildTar('dbuild', engine.containerd, {...options, cacheDir}, work)
      t.same(compareBuilds(plain, ours), [], `${user}: the same image as plain buildx`)
    }
  })
}
