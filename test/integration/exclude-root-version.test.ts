/**
 * exclude-root where the builder reports BuildKit v0.0.0+unknown (Docker's built-in BuildKit as
 * Debian and Ubuntu build it). On Docker 28.5 that BuildKit (v0.25, which moby vendors) builds
 * `COPY --from=src --exclude=/app/skip / /` and, matching --exclude relative to the source,
 * excludes nothing: dbuild must learn the version from the engine and leave the line alone, so the
 * image is plain buildx's. Where the built-in frontend has no --exclude (Docker 26.1), plain buildx
 * fails; dbuild's rewrite keeps BuildKit's reading (nothing excluded) and builds.
 */
import t from 'tap'

import {useEngine} from '../engine/index.js'
import {gitRepo, tempDir} from '../helpers/index.js'
import {buildBoth} from '../helpers/oracle.js'

const engine = useEngine(t)

if (engine) {
  const repo = await gitRepo(tempDir(t), {
    Dockerfile: [
      `FROM ${engine.localBaseImage} AS src`,
      'RUN mkdir -p /app/skip /app/keep && touch /app/skip/a /app/keep/b',
      'FROM scratch',
      // the line from the issue: a leading / never matches, BuildKit matches paths relative to the source
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
      t.ok(paths.some((p) => /^\/?app\/skip\/a$/.test(p)), '/app/skip is copied, as BuildKit reads --exclude=/app/skip', {paths: paths.filter((p) => p.includes('app'))})
    })
  }
}
