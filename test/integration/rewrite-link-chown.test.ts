/**
 * link-chown on the real daemons: the rewritten Dockerfile builds on the containerd image store
 * and gives each file the uid:gid the graphdriver store gives the ORIGINAL lines.
 */
import t from 'tap'

import {useEngine} from '../engine/index.js'
import {dockerOn, tempDir, writeTree} from '../helpers/index.js'
import {rewriteOn} from '../helpers/rewrite.js'

const engine = useEngine(t)

/** `owner /o/N=uid:gid` lines printed by the final RUN. */
function owners(output: string): Record<string, string> {
  const found: Record<string, string> = {}
  for (const match of output.matchAll(/owner (\/o\/\d+)=(\d+:\d+)/g)) found[match[1]!] = match[2]!
  return found
}

if (engine) {
  const context = tempDir(t)
  const dockerfile = [
    'ARG OWNER=app',
    `FROM ${engine.baseImage} AS users`,
    // this busybox has no adduser applet: the same lines adduser -D would write
    "RUN echo 'builder:x:2000:2000::/home/builder:/bin/sh' >> /etc/passwd && echo 'builder:x:2000:' >> /etc/group && echo 'team:x:3000:' >> /etc/group",
    'FROM users AS child',
    'ARG OWNER',
    'COPY --link --chown=app foo /o/1',
    'COPY --link --chown=app:users foo /o/2',
    'COPY --link --chown=builder foo /o/3',
    'COPY --link --chown=builder:team foo /o/4',
    'COPY --link --chown=${OWNER}:users foo /o/5',
    "RUN echo 'late:x:2100:2100::/home/late:/bin/sh' >> /etc/passwd",
    'COPY --link --chown=late foo /o/6',
    'COPY --link --chown=1234 foo /o/7',
    `RUN stat -c "owner %n=%u:%g" /o/*`,
    '',
  ].join('\n')
  writeTree(context, {foo: 'hi\n', Dockerfile: dockerfile})
  const build = (dir: string) => ['buildx', 'build', '--network=host', '--progress=plain', '--no-cache', dir]

  t.test('rewritten on containerd = original on graphdriver', async (t) => {
    const original = await dockerOn(engine.graphdriver, build(context))
    t.equal(original.exitCode, 0, 'the original builds on the graphdriver store', {output: original.output})
    const expected = owners(original.output)
    t.equal(Object.keys(expected).length, 7, 'every file reported', {expected})

    const result = await rewriteOn(engine.containerd, dockerfile, context, tempDir(t))
    t.same(
      result.findings.filter((f) => f.ruleId === 'link-chown' && !f.fix),
      [],
      'every name resolved',
    )
    t.notMatch(result.text, /--chown=[a-z$]/, 'no names are left')
    const rewritten = tempDir(t)
    writeTree(rewritten, {foo: 'hi\n', Dockerfile: result.text})
    const run = await dockerOn(engine.containerd, build(rewritten))
    t.equal(run.exitCode, 0, 'the rewritten file builds on the containerd store', {output: run.output, text: result.text})
    t.same(owners(run.output), expected, 'same ownership as the original on graphdriver')
  })
}
