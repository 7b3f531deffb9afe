/**
 * exclude-root on the real engine: a frontend without --exclude builds the rewrite,
 * and the exported tree is the stage minus the excluded paths with every symlink kept — broken
 * ones, and the ones next to an excluded path (like Ubuntu's /bin -> usr/bin), which a helper
 * stage copies — on the containerd store, the same as on the graphdriver store.
 */
import {execFileSync} from 'node:child_process'
import path from 'node:path'

import t from 'tap'

import {type Daemon, useEngine} from '../engine/index.js'
import {dockerOn, tempDir, writeTree} from '../helpers/index.js'
import {rewriteOn} from '../helpers/rewrite.js'

const engine = useEngine(t)

/** `mode uid/gid path[ -> target]` of every tar entry, sorted. */
function tree(tar: string): string[] {
  return execFileSync('tar', ['-tvf', tar, '--numeric-owner'], {encoding: 'utf8'})
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(/\s+/))
    .map((f) => `${f[0]} ${f[1]} ${f.slice(5).join(' ').replace(/\/$/, '')}`)
    .sort()
}

if (engine) {
  const context = tempDir(t)
  const stage = [
    `FROM ${engine.baseImage} AS base`,
    // a broken link deep inside a copied directory, plus links next to the excluded paths:
    // at the top (usrmerge style, one broken and owned by app) and one level down
    'RUN mkdir -p /opt /usr/share/doc/apt && touch /opt/foo && ln -s ../missing/NEWS.gz /usr/share/doc/apt/NEWS.gz' +
      ' && ln -s usr/bin /sbin2 && ln -s /nonexistent /broken && chown -h 1000:100 /broken && ln -s doc /usr/share/doc2',
  ]
  const dockerfile = [
    ...stage,
    'FROM scratch AS final',
    // relative: BuildKit matches --exclude against paths relative to the source (a leading / matches nothing)
    'COPY --from=base --exclude=opt --exclude=usr/share/doc / /',
    'COPY --from=base /opt /opt',
    'COPY --from=base /usr/share/doc /usr/share/doc',
    '',
  ].join('\n')
  // the frontend here rejects the whole file for its --exclude, so the stage is also written alone
  writeTree(context, {Dockerfile: dockerfile, 'base.Dockerfile': stage.join('\n') + '\n'})

  const exportTar = async (daemon: Daemon, args: string[], tar: string) =>
    dockerOn(daemon, ['buildx', 'build', '--network=host', '--progress=plain', '--output', `type=tar,dest=${tar}`, ...args])

  t.test('COPY --from=base --exclude=/opt / / with symlinks next to the excluded paths builds and exports the expected tree', async (t) => {
    const plain = await dockerOn(engine.containerd, ['buildx', 'build', '--network=host', '--progress=plain', context])
    t.not(plain.exitCode, 0, 'the original does not build on this engine')

    const result = await rewriteOn(engine.containerd, dockerfile, context, tempDir(t))
    const support = result.findings.find((f) => f.ruleId === 'exclude-root')
    if (support?.severity === 'info') {
      // BuildKit v0.25+ (Docker 28.5): --exclude in the frontend and the nested-symlink fix; it still fails on the
      // broken /broken at the top of the source, but dbuild rewrites only where it knows the line cannot build
      t.equal(result.text, dockerfile, 'left alone where the builder has --exclude and the broken-symlink fix')
      return
    }
    t.notMatch(result.text, /--exclude/, 'no --exclude is left')
    t.match(result.text, /^FROM base AS dbuild-links-1$/m, 'a helper stage copies the links')
    const finding = result.findings.find((f) => f.ruleId === 'exclude-root')
    t.match(finding?.message, /\/broken, \/sbin2, \/usr\/share\/doc2 are kept/)
    const out = tempDir(t)
    const rewritten = tempDir(t)
    writeTree(rewritten, {Dockerfile: result.text})

    // The only expected difference: a directory copied by path is created 0755 (the finding says which).
    const reshaped = (/Note: (.*?) will be created/.exec(finding?.message ?? '')?.[1] ?? '').split(', ').map((p) => p.slice(1))
    const modeless = (line: string) =>
      line.replace(/^d\S+ (\S+) (.+)$/, (all, owner: string, name: string) =>
        reshaped.includes(name) ? `d(reshaped) ${owner} ${name}` : all,
      )
    const stageTar = path.join(out, 'base.tar')
    t.equal(
      (await exportTar(engine.containerd, ['-f', path.join(context, 'base.Dockerfile'), context], stageTar)).exitCode,
      0,
      'the stage exports',
    )
    const expected = tree(stageTar).map(modeless).sort()

    const trees: Record<string, string[]> = {}
    for (const [store, daemon] of [
      ['containerd', engine.containerd],
      ['graphdriver', engine.graphdriver],
    ] as const) {
      const tar = path.join(out, `${store}.tar`)
      const run = await exportTar(daemon, [rewritten], tar)
      t.equal(run.exitCode, 0, `the rewrite builds on the ${store} store`, {output: run.output, text: result.text})
      if (run.exitCode !== 0) continue
      trees[store] = tree(tar).map(modeless).sort()
    }
    const got = trees.containerd ?? []
    t.same(got, expected, 'the tree equals the stage (the excluded paths copied back separately)')
    t.same(trees.graphdriver, got, 'the graphdriver store exports the same tree')
    for (const link of [
      'lrwxrwxrwx 0/0 usr/share/doc/apt/NEWS.gz -> ../missing/NEWS.gz',
      'lrwxrwxrwx 1000/100 broken -> /nonexistent',
      'lrwxrwxrwx 0/0 sbin2 -> usr/bin',
      'lrwxrwxrwx 0/0 usr/share/doc2 -> doc',
    ]) {
      t.ok(got.includes(link), `kept: ${link}`)
    }
    t.notOk(
      got.some((line) => line.includes('dbuild-links')),
      'nothing of the helper stage but the links',
    )
  })
}
