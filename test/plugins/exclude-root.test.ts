import t from 'tap'

import {rule} from '../../plugins/exclude-root.js'
import {excludeSupport, frontendHasExclude} from '../../plugins/exclude-root.js'
import {dir, file, ruleTester, symlink} from './rule-tester.js'

const base = [dir('bin'), file('bin/sh', 0o755), dir('etc'), file('etc/passwd'), dir('opt'), file('opt/foo'), dir('usr'), dir('usr/share'), dir('usr/share/doc'), file('usr/share/doc/x'), dir('usr/lib'), symlink('usr/share/doc/NEWS', '../missing')]
const HEAD = 'FROM img AS base\nFROM scratch\n'
/** A stage with cp (busybox style: a symlink to the binary), a symlink and a broken one at the top. */
const withCp = [...base.filter((e) => e.path !== 'opt/foo'), symlink('bin/cp', 'busybox'), file('bin/busybox', 0o755), file('opt/foo'), symlink('lib', 'usr/lib'), symlink('broken', '/nonexistent')]
/** Ubuntu's usrmerge: /bin and /lib are symlinks into /usr, cp lives in /usr/bin. */
const usrmerge = [symlink('bin', 'usr/bin'), symlink('lib', 'usr/lib'), dir('etc'), dir('usr'), dir('usr/bin'), file('usr/bin/cp', 0o755), dir('usr/lib'), symlink('usr/lib64', 'lib'), dir('usr/share'), dir('usr/share/doc')]

/** The helper stage text the rule inserts: one WORKDIR + RUN per level of [links, directory]. */
function helper(from: string, name: string, cp: string, ...levels: [string[], string][]): string {
  const runs = levels.flatMap(([links, dir]) => [`WORKDIR ${dir}`, `RUN --mount=type=bind,from=${from},target=/dbuild-src ${JSON.stringify([cp, '-RPp', ...links.map((l) => '/dbuild-src' + l), dir]).replaceAll('","', '", "')}`])
  return ['# dbuild exclude-root: the symlinks next to excluded paths, which a COPY cannot name', `FROM ${from} AS ${name}`, 'USER 0:0', ...runs].join('\n') + '\n\n'
}

/** A builder whose BuildKit predates the broken-symlink fix (moby/buildkit#6220, v0.25.0): the rewrite is needed. */
const OLD = {builder: {name: 'old', buildkitVersion: 'v0.24.0'}}

ruleTester(t, rule, {
  valid: [
    {...OLD, name: 'no exclude', code: `${HEAD}COPY --from=base / /\n`},
    {...OLD, name: 'exclude without --from is not this rule', code: `${HEAD}COPY --exclude=/opt . /\n`},
  ],
  invalid: [
    {
      name: 'a builder with BuildKit v0.25+ and its built-in frontend (dockerfile 1.19) has --exclude and the fix: info, left alone',
      origin: 'seed 001: COPY --from=base --exclude=/opt / /',
      code: `${HEAD}COPY --from=base --exclude=/opt / /\n`,
      builder: {name: 'new', buildkitVersion: 'v0.25.1'},
      errors: [{severity: 'info', message: /builder new runs BuildKit v0\.25\.1 .*moby\/buildkit#6220.*built-in Dockerfile frontend has --exclude/}],
    },
    {
      name: 'BuildKit v0.25+ with a # syntax= frontend that has --exclude (1.7-labs): info',
      code: `# syntax=docker/dockerfile:1.7-labs\n${HEAD}COPY --from=base --exclude=/opt / /\n`,
      builder: {name: 'new', buildkitVersion: 'v0.26.0'},
      errors: [{severity: 'info', message: /frontend docker\/dockerfile:1\.7-labs has --exclude/}],
    },
    {
      name: 'BuildKit v0.25+ but a # syntax= frontend without --exclude (1.6): error, rewritten',
      code: `# syntax=docker/dockerfile:1.6\n${HEAD}COPY --from=base --exclude=/opt / /\n`,
      builder: {name: 'new', buildkitVersion: 'v0.25.0'},
      listings: {base},
      output: `# syntax=docker/dockerfile:1.6\n${HEAD}COPY --from=base /bin /bin\nCOPY --from=base /etc /etc\nCOPY --from=base /usr /usr\n`,
      errors: [{line: 4, message: /the frontend docker\/dockerfile:1\.6 has no --exclude/}],
    },
    {
      name: "a builder that reports v0.0.0+unknown (Docker's built-in BuildKit as Debian builds it): warning, rewritten to be safe",
      code: `${HEAD}COPY --from=base --exclude=/opt / /\n`,
      builder: {name: 'default', driver: 'docker', reported: 'v0.0.0+unknown'},
      listings: {base},
      output: `${HEAD}COPY --from=base /bin /bin\nCOPY --from=base /etc /etc\nCOPY --from=base /usr /usr\n`,
      errors: [{severity: 'warning', message: /BuildKit version is unknown \(it reports v0\.0\.0\+unknown\)/}],
    },
    {
      name: 'lint without probes: the builder is unknown, a warning, not an error',
      code: `${HEAD}COPY --from=base --exclude=/opt / /\n`,
      errors: [{severity: 'warning', message: /BuildKit version is unknown \(no probes in unit tests\).*tree of base is unknown/}],
    },
    {...OLD, 
    name: 'seed 001: root minus /opt, one COPY per root entry (a deep broken symlink rides along in /usr)',
    code: `${HEAD}COPY --from=base --exclude=/opt / /\nCOPY --from=base /opt /opt\n`,
    listings: {base},
    output: `${HEAD}COPY --from=base /bin /bin\nCOPY --from=base /etc /etc\nCOPY --from=base /usr /usr\nCOPY --from=base /opt /opt\n`,
    errors: [{ruleId: 'exclude-root', severity: 'error', line: 3}],
  },
    {...OLD, 
    name: 'nested exclude walks its ancestors; flags carried; CRLF kept',
    code: `${HEAD}COPY --link --from=base --chown=1:2 --exclude=/usr/share/doc / /out/\r\n`,
    listings: {base},
    output: `${HEAD}COPY --link --from=base --chown=1:2 /bin /out/bin\r\nCOPY --link --from=base --chown=1:2 /etc /out/etc\r\nCOPY --link --from=base --chown=1:2 /opt /out/opt\r\nCOPY --link --from=base --chown=1:2 /usr/lib /out/usr/lib\r\n`, errors: [{line: 3}]},
    {...OLD, 
    name: 'source below the root, excludes relative to it',
    code: `${HEAD}COPY --from=base --exclude=share /usr /usr\n`,
    listings: {base},
    output: `${HEAD}COPY --from=base /usr/lib /usr/lib\n`, errors: [{line: 3}]},
    {...OLD, name: 'wildcard exclude: left alone with a warning', code: `${HEAD}COPY --from=base --exclude=*.md / /\n`, errors: [{severity: 'warning', message: /wildcard/}]},
    {...OLD, name: 'no listing: unsure', code: `${HEAD}COPY --from=base --exclude=/opt / /\n`, errors: [{message: /tree of base is unknown/}]},
    {...OLD, 
    name: 'a symlink next to an excluded path, and no cp in the stage: unsure, with the lines that copy the rest',
    code: `${HEAD}COPY --from=base --exclude=/opt / /\n`,
    listings: {base: [...base, symlink('lib', 'usr/lib')]},
    errors: [{message: /\/lib is a symlink next to an excluded path.*base has no \/bin\/cp or \/usr\/bin\/cp/, suggestion: 'COPY --from=base /bin /bin\nCOPY --from=base /etc /etc\nCOPY --from=base /usr /usr'}],
  },
    {...OLD, 
    name: 'seed 001 with top-level symlinks (broken too): a helper stage copies them with cp -RPp, one COPY brings them over',
    code: `${HEAD}COPY --from=base --exclude=/opt / /\n`,
    listings: {base: withCp},
    output: `FROM img AS base\n${helper('base', 'dbuild-links-1', '/bin/cp', [['/broken', '/lib'], '/dbuild-links/0/'])}FROM scratch\nCOPY --from=base /bin /bin\nCOPY --from=base /etc /etc\nCOPY --from=base /usr /usr\nCOPY --from=dbuild-links-1 /dbuild-links/0/ /\n`,
    errors: [{line: 3, message: /Rewritten into 4 COPY lines.*\/broken, \/lib are kept: helper stage dbuild-links-1/}],
  },
    {...OLD, 
    name: 'usrmerge: cp is found through the /bin symlink; links at two levels; flags carried, --from swapped; CRLF kept',
    code: `FROM img AS base\r\nFROM scratch\r\nCOPY --link --from=base --chown=1:2 --exclude=/usr/share/doc / /out/\r\n`,
    listings: {base: usrmerge},
    output: `FROM img AS base\r\n${helper('base', 'dbuild-links-1', '/bin/cp', [['/bin', '/lib'], '/dbuild-links/0/'], [['/usr/lib64'], '/dbuild-links/1/']).replaceAll('\n', '\r\n')}FROM scratch\r\n${[
      'COPY --link --from=base --chown=1:2 /etc /out/etc',
      'COPY --link --from=base --chown=1:2 /usr/bin /out/usr/bin',
      'COPY --link --from=base --chown=1:2 /usr/lib /out/usr/lib',
      'COPY --link --from=dbuild-links-1 --chown=1:2 /dbuild-links/0/ /out/',
      'COPY --link --from=dbuild-links-1 --chown=1:2 /dbuild-links/1/ /out/usr/',
    ].join('\r\n')}\r\n`, errors: [{line: 3}]},
    {...OLD, 
    name: 'from an image: the helper is FROM that image; inserted above the comments over the stage (pragma stays with its FROM)',
    code: `# syntax=docker/dockerfile:1.7-labs\nFROM scratch AS a\n\n# the final stage\n# dbuild ignore=image-mirror\nFROM scratch\nCOPY --from=ubuntu:24.04 --exclude=/opt / /\n`,
    listings: {'ubuntu:24.04': withCp},
    output: `# syntax=docker/dockerfile:1.7-labs\nFROM scratch AS a\n\n${helper('ubuntu:24.04', 'dbuild-links-1', '/bin/cp', [['/broken', '/lib'], '/dbuild-links/0/'])}# the final stage\n# dbuild ignore=image-mirror\nFROM scratch\nCOPY --from=ubuntu:24.04 /bin /bin\nCOPY --from=ubuntu:24.04 /etc /etc\nCOPY --from=ubuntu:24.04 /usr /usr\nCOPY --from=dbuild-links-1 /dbuild-links/0/ /\n`, errors: [{line: 7}]},
    {...OLD, 
    name: 'the first stage: the helper goes after the parser directives',
    code: `# syntax=docker/dockerfile:1.7-labs\nFROM scratch\nCOPY --from=img --exclude=/opt / /\n`,
    listings: {img: withCp},
    output: `# syntax=docker/dockerfile:1.7-labs\n${helper('img', 'dbuild-links-0', '/bin/cp', [['/broken', '/lib'], '/dbuild-links/0/'])}FROM scratch\nCOPY --from=img /bin /bin\nCOPY --from=img /etc /etc\nCOPY --from=img /usr /usr\nCOPY --from=dbuild-links-0 /dbuild-links/0/ /\n`, errors: [{line: 3}]},
    {...OLD, 
    name: 'two lines of one stage share one helper stage',
    code: `${HEAD}COPY --from=base --exclude=/opt / /\nCOPY --from=base --exclude=/etc / /copy/\n`,
    listings: {base: withCp},
    output: `FROM img AS base\n${helper('base', 'dbuild-links-1', '/bin/cp', [['/broken', '/lib'], '/dbuild-links/0/'], [['/broken', '/lib'], '/dbuild-links/1/'])}FROM scratch\n${[
      'COPY --from=base /bin /bin',
      'COPY --from=base /etc /etc',
      'COPY --from=base /usr /usr',
      'COPY --from=dbuild-links-1 /dbuild-links/0/ /',
      'COPY --from=base /bin /copy/bin',
      'COPY --from=base /opt /copy/opt',
      'COPY --from=base /usr /copy/usr',
      'COPY --from=dbuild-links-1 /dbuild-links/1/ /copy/',
    ].join('\n')}\n`,
    errors: [{line: 3, fix: [{text: /^# dbuild exclude-root.*\nFROM base AS dbuild-links-1\n/}, {}]}, {line: 4}],
  },
    {...OLD, 
    name: 'a later numeric stage reference would shift: unsure',
    code: `${HEAD}COPY --from=base --exclude=/opt / /\nFROM scratch\nCOPY --from=1 / /\n`,
    listings: {base: withCp},
    errors: [{line: 3, message: /line 5 refers to stage number 1, which a helper stage inserted before line 2 would shift/}],
  },
    {...OLD, 
    name: 'an earlier stage by number: the helper names it',
    code: `${HEAD}COPY --from=0 --exclude=/opt / /\n`,
    listings: {'0': withCp},
    output: `FROM img AS base\n${helper('base', 'dbuild-links-1', '/bin/cp', [['/broken', '/lib'], '/dbuild-links/0/'])}FROM scratch\nCOPY --from=0 /bin /bin\nCOPY --from=0 /etc /etc\nCOPY --from=0 /usr /usr\nCOPY --from=dbuild-links-1 /dbuild-links/0/ /\n`, errors: [{line: 3}]},
    {...OLD, 
    name: 'an unnamed stage cannot be a helper\'s FROM: unsure',
    code: `FROM img\nFROM scratch\nCOPY --from=0 --exclude=/opt / /\n`,
    listings: {'0': withCp},
    errors: [{message: /0 has no \/bin\/cp or \/usr\/bin\/cp \(or is an unnamed stage\)/}],
  },
    {...OLD, 
    name: 'a link whose name has pattern characters is fine: only its directory is named in a COPY',
    code: `${HEAD}COPY --from=base --exclude=/opt / /\n`,
    listings: {base: [dir('opt'), dir('usr'), dir('usr/bin'), file('usr/bin/cp', 0o755), symlink('a[1]', 'usr')]},
    output: `FROM img AS base\n${helper('base', 'dbuild-links-1', '/usr/bin/cp', [['/a[1]'], '/dbuild-links/0/'])}FROM scratch\nCOPY --from=base /usr /usr\nCOPY --from=dbuild-links-1 /dbuild-links/0/ /\n`, errors: [{line: 3}]},
    {...OLD, 
    name: 'a cp that is not executable does not count',
    code: `${HEAD}COPY --from=base --exclude=/opt / /\n`,
    listings: {base: [dir('opt'), dir('bin'), file('bin/cp', 0o644), symlink('lib', 'bin')]},
    errors: [{message: /no \/bin\/cp or \/usr\/bin\/cp/}],
  },
    {...OLD, 
    name: 'the helper name is taken: unsure',
    code: `FROM img AS base\nFROM scratch AS dbuild-links-1\nCOPY --from=base --exclude=/opt / /\n`,
    listings: {base: withCp},
    errors: [{message: /a stage is already named dbuild-links-1/}],
  },
    {...OLD, name: 'names needing quotes use the exec form', code: `${HEAD}COPY --from=base --exclude=/opt / /\n`, listings: {base: [dir('opt'), file('a b')]}, output: `${HEAD}COPY --from=base ["/a b", "/a b"]\n`, errors: [{line: 3}]},
    {
      ...OLD,
      name: 'a source ending in .git is not read as a git repository',
      origin: 'test/integration/probe-key.test.ts: COPY . /app of a git checkout, then COPY --from=src --exclude=skip /app /app',
      code: `${HEAD}COPY --from=base --exclude=/opt / /\n`,
      listings: {base: [dir('opt'), dir('.git'), file('.git/HEAD'), file('x.git')]},
      output: `${HEAD}COPY --from=base /.git/ /.git/\nCOPY --from=base /x.gi[t] /x.git\n`,
      errors: [{line: 3}],
    },
    {...OLD, name: 'names with pattern characters: unsure', code: `${HEAD}COPY --from=base --exclude=/opt / /\n`, listings: {base: [dir('opt'), file('a[1]')]}, errors: [{message: /pattern or variable/}]},
    {...OLD, name: 'directories with their own mode are reported', code: `${HEAD}COPY --from=base --exclude=/opt / /\n`, listings: {base: [dir('opt'), dir('tmp', 0o1777)]}, output: `${HEAD}COPY --from=base /tmp /tmp\n`, errors: [{message: /\/tmp will be created with mode 0755/}]},
    {...OLD, name: 'from a variable', code: `ARG SRC=base\n${HEAD}ARG SRC\nCOPY --from=$SRC --exclude=/opt / /\n`, listings: {base: [dir('opt'), file('f')]}, output: `ARG SRC=base\n${HEAD}ARG SRC\nCOPY --from=$SRC /f /f\n`, errors: [{line: 5}]},
  ],
})

t.test('frontendHasExclude: labs from 1.7, stable from 1.19, floating tags are today\'s', async (t) => {
  const table: [string, boolean | undefined][] = [
    ['docker/dockerfile:1.7-labs', true],
    ['docker/dockerfile:1.6-labs', false],
    ['docker/dockerfile:1.18', false],
    ['docker/dockerfile:1.19', true],
    ['docker/dockerfile:1.19.0', true],
    ['docker/dockerfile:1', true],
    ['docker/dockerfile', true],
    ['docker.io/docker/dockerfile:1.4@sha256:abc', false],
    ['registry.example.com/mirror/dockerfile:1.7-labs', true],
    ['docker/dockerfile-upstream:master-labs', true],
    ['example.com/custom-frontend:1', undefined],
    ['docker/dockerfile@sha256:abc', undefined],
  ]
  for (const [syntax, expected] of table) t.equal(frontendHasExclude(syntax), expected, syntax)
  t.type(excludeSupport, 'function')
})
