import t from 'tap'

import {rule} from '../../plugins/exclude-root.js'
import {dir, file, runTable, symlink} from './table.js'

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

runTable(t, rule, [
  {name: 'no exclude', text: `${HEAD}COPY --from=base / /\n`, findings: []},
  {name: 'exclude without --from is not this rule', text: `${HEAD}COPY --exclude=/opt . /\n`, findings: []},
  {
    name: 'seed 001: root minus /opt, one COPY per root entry (a deep broken symlink rides along in /usr)',
    text: `${HEAD}COPY --from=base --exclude=/opt / /\nCOPY --from=base /opt /opt\n`,
    listings: {base},
    output: `${HEAD}COPY --from=base /bin /bin\nCOPY --from=base /etc /etc\nCOPY --from=base /usr /usr\nCOPY --from=base /opt /opt\n`,
    findings: [{ruleId: 'exclude-root', severity: 'error', line: 3}],
  },
  {
    name: 'nested exclude walks its ancestors; flags carried; CRLF kept',
    text: `${HEAD}COPY --link --from=base --chown=1:2 --exclude=/usr/share/doc / /out/\r\n`,
    listings: {base},
    output: `${HEAD}COPY --link --from=base --chown=1:2 /bin /out/bin\r\nCOPY --link --from=base --chown=1:2 /etc /out/etc\r\nCOPY --link --from=base --chown=1:2 /opt /out/opt\r\nCOPY --link --from=base --chown=1:2 /usr/lib /out/usr/lib\r\n`,
  },
  {
    name: 'source below the root, excludes relative to it',
    text: `${HEAD}COPY --from=base --exclude=share /usr /usr\n`,
    listings: {base},
    output: `${HEAD}COPY --from=base /usr/lib /usr/lib\n`,
  },
  {name: 'wildcard exclude: left alone with a warning', text: `${HEAD}COPY --from=base --exclude=*.md / /\n`, findings: [{severity: 'warning', message: /wildcard/}]},
  {name: 'no listing: unsure', text: `${HEAD}COPY --from=base --exclude=/opt / /\n`, findings: [{message: /tree of base is unknown/}]},
  {
    name: 'a symlink next to an excluded path, and no cp in the stage: unsure, with the lines that copy the rest',
    text: `${HEAD}COPY --from=base --exclude=/opt / /\n`,
    listings: {base: [...base, symlink('lib', 'usr/lib')]},
    findings: [{message: /\/lib is a symlink next to an excluded path.*base has no \/bin\/cp or \/usr\/bin\/cp/, suggestion: 'COPY --from=base /bin /bin\nCOPY --from=base /etc /etc\nCOPY --from=base /usr /usr'}],
  },
  {
    name: 'seed 001 with top-level symlinks (broken too): a helper stage copies them with cp -RPp, one COPY brings them over',
    text: `${HEAD}COPY --from=base --exclude=/opt / /\n`,
    listings: {base: withCp},
    output: `FROM img AS base\n${helper('base', 'dbuild-links-1', '/bin/cp', [['/broken', '/lib'], '/dbuild-links/0/'])}FROM scratch\nCOPY --from=base /bin /bin\nCOPY --from=base /etc /etc\nCOPY --from=base /usr /usr\nCOPY --from=dbuild-links-1 /dbuild-links/0/ /\n`,
    findings: [{line: 3, message: /rewritten into 4 COPY lines.*\/broken, \/lib are kept: helper stage dbuild-links-1/}],
  },
  {
    name: 'usrmerge: cp is found through the /bin symlink; links at two levels; flags carried, --from swapped; CRLF kept',
    text: `FROM img AS base\r\nFROM scratch\r\nCOPY --link --from=base --chown=1:2 --exclude=/usr/share/doc / /out/\r\n`,
    listings: {base: usrmerge},
    output: `FROM img AS base\r\n${helper('base', 'dbuild-links-1', '/bin/cp', [['/bin', '/lib'], '/dbuild-links/0/'], [['/usr/lib64'], '/dbuild-links/1/']).replaceAll('\n', '\r\n')}FROM scratch\r\n${[
      'COPY --link --from=base --chown=1:2 /etc /out/etc',
      'COPY --link --from=base --chown=1:2 /usr/bin /out/usr/bin',
      'COPY --link --from=base --chown=1:2 /usr/lib /out/usr/lib',
      'COPY --link --from=dbuild-links-1 --chown=1:2 /dbuild-links/0/ /out/',
      'COPY --link --from=dbuild-links-1 --chown=1:2 /dbuild-links/1/ /out/usr/',
    ].join('\r\n')}\r\n`,
  },
  {
    name: 'from an image: the helper is FROM that image; inserted above the comments over the stage (pragma stays with its FROM)',
    text: `# syntax=docker/dockerfile:1.7-labs\nFROM scratch AS a\n\n# the final stage\n# dbuild ignore=image-mirror\nFROM scratch\nCOPY --from=ubuntu:24.04 --exclude=/opt / /\n`,
    listings: {'ubuntu:24.04': withCp},
    output: `# syntax=docker/dockerfile:1.7-labs\nFROM scratch AS a\n\n${helper('ubuntu:24.04', 'dbuild-links-1', '/bin/cp', [['/broken', '/lib'], '/dbuild-links/0/'])}# the final stage\n# dbuild ignore=image-mirror\nFROM scratch\nCOPY --from=ubuntu:24.04 /bin /bin\nCOPY --from=ubuntu:24.04 /etc /etc\nCOPY --from=ubuntu:24.04 /usr /usr\nCOPY --from=dbuild-links-1 /dbuild-links/0/ /\n`,
  },
  {
    name: 'the first stage: the helper goes after the parser directives',
    text: `# syntax=docker/dockerfile:1.7-labs\nFROM scratch\nCOPY --from=img --exclude=/opt / /\n`,
    listings: {img: withCp},
    output: `# syntax=docker/dockerfile:1.7-labs\n${helper('img', 'dbuild-links-0', '/bin/cp', [['/broken', '/lib'], '/dbuild-links/0/'])}FROM scratch\nCOPY --from=img /bin /bin\nCOPY --from=img /etc /etc\nCOPY --from=img /usr /usr\nCOPY --from=dbuild-links-0 /dbuild-links/0/ /\n`,
  },
  {
    name: 'two lines of one stage share one helper stage',
    text: `${HEAD}COPY --from=base --exclude=/opt / /\nCOPY --from=base --exclude=/etc / /copy/\n`,
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
    findings: [{line: 3, fix: [{text: /^# dbuild exclude-root.*\nFROM base AS dbuild-links-1\n/}, {}]}, {line: 4}],
  },
  {
    name: 'a later numeric stage reference would shift: unsure',
    text: `${HEAD}COPY --from=base --exclude=/opt / /\nFROM scratch\nCOPY --from=1 / /\n`,
    listings: {base: withCp},
    findings: [{line: 3, message: /line 5 refers to stage number 1, which a helper stage inserted before line 2 would shift/}],
  },
  {
    name: 'an earlier stage by number: the helper names it',
    text: `${HEAD}COPY --from=0 --exclude=/opt / /\n`,
    listings: {'0': withCp},
    output: `FROM img AS base\n${helper('base', 'dbuild-links-1', '/bin/cp', [['/broken', '/lib'], '/dbuild-links/0/'])}FROM scratch\nCOPY --from=0 /bin /bin\nCOPY --from=0 /etc /etc\nCOPY --from=0 /usr /usr\nCOPY --from=dbuild-links-1 /dbuild-links/0/ /\n`,
  },
  {
    name: 'an unnamed stage cannot be a helper\'s FROM: unsure',
    text: `FROM img\nFROM scratch\nCOPY --from=0 --exclude=/opt / /\n`,
    listings: {'0': withCp},
    findings: [{message: /0 has no \/bin\/cp or \/usr\/bin\/cp \(or is an unnamed stage\)/}],
  },
  {
    name: 'a link whose name has pattern characters is fine: only its directory is named in a COPY',
    text: `${HEAD}COPY --from=base --exclude=/opt / /\n`,
    listings: {base: [dir('opt'), dir('usr'), dir('usr/bin'), file('usr/bin/cp', 0o755), symlink('a[1]', 'usr')]},
    output: `FROM img AS base\n${helper('base', 'dbuild-links-1', '/usr/bin/cp', [['/a[1]'], '/dbuild-links/0/'])}FROM scratch\nCOPY --from=base /usr /usr\nCOPY --from=dbuild-links-1 /dbuild-links/0/ /\n`,
  },
  {
    name: 'a cp that is not executable does not count',
    text: `${HEAD}COPY --from=base --exclude=/opt / /\n`,
    listings: {base: [dir('opt'), dir('bin'), file('bin/cp', 0o644), symlink('lib', 'bin')]},
    findings: [{message: /no \/bin\/cp or \/usr\/bin\/cp/}],
  },
  {
    name: 'the helper name is taken: unsure',
    text: `FROM img AS base\nFROM scratch AS dbuild-links-1\nCOPY --from=base --exclude=/opt / /\n`,
    listings: {base: withCp},
    findings: [{message: /a stage is already named dbuild-links-1/}],
  },
  {name: 'names needing quotes use the exec form', text: `${HEAD}COPY --from=base --exclude=/opt / /\n`, listings: {base: [dir('opt'), file('a b')]}, output: `${HEAD}COPY --from=base ["/a b", "/a b"]\n`},
  {name: 'names with pattern characters: unsure', text: `${HEAD}COPY --from=base --exclude=/opt / /\n`, listings: {base: [dir('opt'), file('a[1]')]}, findings: [{message: /pattern or variable/}]},
  {name: 'directories with their own mode are reported', text: `${HEAD}COPY --from=base --exclude=/opt / /\n`, listings: {base: [dir('opt'), dir('tmp', 0o1777)]}, output: `${HEAD}COPY --from=base /tmp /tmp\n`, findings: [{message: /\/tmp will be created with mode 0755/}]},
  {name: 'from a variable', text: `ARG SRC=base\n${HEAD}ARG SRC\nCOPY --from=$SRC --exclude=/opt / /\n`, listings: {base: [dir('opt'), file('f')]}, output: `ARG SRC=base\n${HEAD}ARG SRC\nCOPY --from=$SRC /f /f\n`},
])
