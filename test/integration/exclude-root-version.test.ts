/**
 * exclude-root where the builder reports BuildKit v0.0.0+unknown (Docker's built-in BuildKit as
 * Debian and Ubuntu build it). On Docker 28.5 that BuildKit (v0.25, which moby vendors) builds
 * `COPY --from=src --exclude=/app/skip / /` and, matching --exclude relative to the source,
 * excludes nothing: dbuild must learn the version from the engine and leave the line alone, so the
 * image is plain buildx's. Where the built-in frontend has no --exclude (Docker 26.1), plain buildx
 * fails; dbuild's rewrite keeps BuildKit's reading (nothing excluded) and builds.
 */
import t from 'tap'

import {execa} from 'execa'

import {ROOT, useEngine} from '../engine/index.js'
import {symlinkSync} from 'node:fs'
import path from 'node:path'

import {gitRepo, tempDir} from '../helpers/index.js'
import {buildBoth} from '../helpers/oracle.js'

const engine = useEngine(t)

if (engine) {
  const repo = await gitRepo(tempDir(t), {
    Dockerfile: [
      `FROM ${engine.localBaseImage} AS src`,
      'RUN mkdir -p /app/skip /app/keep && touch /app/skip/a /app/keep/b',
      'FROM scratch',
      // the line as a user wrote it: a leading / never matches, BuildKit matches paths relative to the source
      'COPY --from=src --exclude=/app/skip / /',
      '',
    ].join('\n'),
  })
  for (const daemon of [engine.graphdriver, engine.containerd]) {
    t.test(`${daemon.store}: COPY --from=src --exclude=/app/skip / / gives plain buildx's image`, async (t) => {
      const {plain, ours, differences} = await buildBoth(daemon, {dir: repo})
      t.equal(ours.exitCode, 0, 'dbuild builds', {output: ours.output.slice(-2000)})
      if (plain.exitCode === 0) {
        t.same(differences, [], 'the same image as plain buildx')
      } else {
        t.match(plain.output, /exclude/, 'plain buildx fails on the --exclude flag itself')
      }
      const paths = ours.entries.map((entry) => entry.path)
      t.ok(
        paths.some((p) => /^\/?app\/skip\/a$/.test(p)),
        '/app/skip is copied, as BuildKit reads --exclude=/app/skip',
        {paths: paths.filter((p) => p.includes('app'))},
      )
    })
  }

  // A copy from the build context under --exclude (dunglas/symfony-docker: COPY --link --exclude=frankenphp/ . ./),
  // beside a symlink that resolves nowhere in the context. BuildKit before v0.25 checksums such a copy by following
  // every symlink (as it does for a wildcard source) and fails; Docker 26.1's built-in frontend has no --exclude at all.
  const contextRepo = await gitRepo(tempDir(t), {
    Dockerfile: 'FROM scratch\nCOPY --link --exclude=frankenphp/ . /app/\n',
    'frankenphp/Caddyfile': 'x\n',
    'src/a.txt': 'a\n',
  })
  symlinkSync('/usr/share/nowhere', path.join(contextRepo, 'src', 'dangling'))
  t.test(
    `${engine.graphdriver.store}: a copy from the build context under --exclude: plain buildx's result, and lint says which it is`,
    async (t) => {
      const {plain, ours, differences} = await buildBoth(engine.graphdriver, {dir: contextRepo})
      const lint = await execa(process.execPath, [path.join(ROOT, 'bin', 'run.js'), 'lint', '--probe', '--format', 'json', 'Dockerfile'], {
        cwd: contextRepo,
        env: {...engine.graphdriver.env, DBUILD_CACHE_DIR: tempDir(t)},
        reject: false,
      })
      const findings = (JSON.parse(lint.stdout) as {findings: Array<{ruleId: string; severity: string; message: string}>}).findings.filter(
        (f) => f.ruleId === 'exclude-root',
      )
      if (plain.exitCode === 0) {
        t.equal(ours.exitCode, 0, 'dbuild builds where plain buildx does', {output: ours.output.slice(-2000)})
        t.same(differences, [], 'the same image as plain buildx')
        t.same(
          findings.map((f) => f.severity),
          ['info'],
          'lint: left as it is, and why',
          {findings},
        )
      } else {
        t.not(ours.exitCode, 0, 'dbuild fails where plain buildx fails', {output: ours.output.slice(-2000)})
        t.match(plain.output, /exclude/, 'plain buildx fails on the --exclude flag itself')
        t.same(
          findings.map((f) => f.severity),
          ['error'],
          'lint: an error naming the frontend',
          {findings},
        )
        t.match(findings[0]?.message ?? '', /has no --exclude/)
      }
    },
  )
}
