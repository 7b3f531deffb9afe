// @ts-check
/**
 * Start-up as a user meets it: the commands that do little besides starting, each as a process
 * against `node -e 0` in turn. Goals: --help, stage --help and lint FILE ≤ 2×, --version ≤ 1.5×.
 * Then a lint of 1,000 Dockerfiles in one call, against its 10 s budget (a repository-wide lint in CI).
 */
import {spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {dbuild} from './harness.js'

const RUNS = Number(process.env.DBUILD_BENCH_RUNS ?? 15)
const LINT_FILES = 1000
const LINT_BUDGET_MS = 10_000

/** A Dockerfile of the kind lint exists for: meta ARGs, two stages, the lines the rules look at. */
const DOCKERFILE = `# syntax=docker/dockerfile:1
ARG BASE=debian:bookworm-slim
FROM \${BASE} AS build
ARG UID=1000
RUN useradd -u \${UID} app
WORKDIR /src
COPY --link --chown=app:app package.json ./
ADD https://example.com/tool.tar.gz /opt/
COPY . .
RUN make

FROM \${BASE}
COPY --from=build /src/out /usr/local/bin/
USER app
CMD ["app"]
`

/** @param {import('./harness.js').Ctx} ctx */
export default async function startupBench(ctx) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dbuild-bench-startup-'))
  try {
    const dockerfile = path.join(dir, 'Dockerfile')
    writeFileSync(dockerfile, DOCKERFILE)
    const env = {...process.env, NO_COLOR: '1'}
    const node = {label: 'node -e 0', argv: [process.execPath, '-e', '0'], env}
    // `lint FILE` as hadolint takes it where lint accepts files, else the -f form
    const positional = [0, 1].includes(
      spawnSync(dbuild('lint', dockerfile)[0] ?? '', dbuild('lint', dockerfile).slice(1), {cwd: dir, env, stdio: 'ignore'}).status ?? -1,
    )
    const lintArgs = positional ? ['lint', dockerfile] : ['lint', '-f', dockerfile]
    /** @type {Array<[string, string[], number]>} */
    const measures = [
      ['dbuild --version', ['--version'], 1.5],
      ['dbuild --help', ['--help'], 2],
      ['dbuild stage --help', ['stage', '--help'], 2],
      [`dbuild ${positional ? 'lint FILE' : 'lint -f FILE'}`, lintArgs, 2],
    ]
    for (const [name, args, goal] of measures) {
      ctx.compare({
        name: `${name} vs node -e 0`,
        subject: {label: name, argv: dbuild(...args), env, cwd: dir, okCodes: [0, 1]},
        contender: node,
        runs: RUNS,
        warmup: 2,
        goal,
      })
    }

    const many = path.join(dir, 'many')
    /** @type {string[]} */
    const files = []
    for (let i = 0; i < LINT_FILES; i++) {
      const sub = path.join(many, `svc${i % 50}`)
      if (i < 50) mkdirSync(sub, {recursive: true})
      const file = path.join(sub, `Dockerfile.${i}`)
      writeFileSync(file, DOCKERFILE.replace('make', `make target${i}`))
      files.push(path.relative(many, file))
    }
    const probe = spawnSync(process.execPath, dbuild('lint', ...files.slice(0, 2)).slice(1), {cwd: many, env, encoding: 'utf8'})
    if (![0, 1].includes(probe.status ?? -1)) {
      ctx.note(
        `lint of ${LINT_FILES} files in one call: not measured, this lint takes one file (${(probe.stderr || '').trim().split('\n')[0]})`,
      )
      return
    }
    const lintMany = {label: `dbuild lint ${LINT_FILES} files`, argv: dbuild('lint', ...files), env, cwd: many, okCodes: [0, 1]}
    const {subject} = ctx.compare({
      name: `dbuild lint ${LINT_FILES} files in one call vs node -e 0`,
      subject: lintMany,
      contender: node,
      runs: 3,
      warmup: 1,
    })
    const budget = {median: subject.median / LINT_BUDGET_MS, p25: subject.p25 / LINT_BUDGET_MS, p75: subject.p75 / LINT_BUDGET_MS}
    ctx.figure(
      `dbuild lint ${LINT_FILES} files in one call vs its ${LINT_BUDGET_MS / 1000} s budget`,
      `${(subject.median / LINT_FILES).toFixed(1)} ms a file`,
      budget,
      1,
    )
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}
