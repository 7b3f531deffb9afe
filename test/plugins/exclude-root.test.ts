import t from 'tap'

import {rule} from '../../plugins/exclude-root.js'
import {dir, file, runTable, symlink} from './table.js'

const base = [dir('bin'), file('bin/sh', 0o755), dir('etc'), file('etc/passwd'), dir('opt'), file('opt/foo'), dir('usr'), dir('usr/share'), dir('usr/share/doc'), file('usr/share/doc/x'), dir('usr/lib'), symlink('usr/share/doc/NEWS', '../missing')]
const HEAD = 'FROM img AS base\nFROM scratch\n'

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
    name: 'a symlink next to an excluded path cannot be kept: unsure, with the lines to paste',
    text: `${HEAD}COPY --from=base --exclude=/opt / /\n`,
    listings: {base: [...base, symlink('lib', 'usr/lib')]},
    findings: [{message: /\/lib is a symlink/, suggestion: /COPY --from=base \/lib \/lib/}],
  },
  {name: 'names needing quotes use the exec form', text: `${HEAD}COPY --from=base --exclude=/opt / /\n`, listings: {base: [dir('opt'), file('a b')]}, output: `${HEAD}COPY --from=base ["/a b", "/a b"]\n`},
  {name: 'names with pattern characters: unsure', text: `${HEAD}COPY --from=base --exclude=/opt / /\n`, listings: {base: [dir('opt'), file('a[1]')]}, findings: [{message: /pattern or variable/}]},
  {name: 'directories with their own mode are reported', text: `${HEAD}COPY --from=base --exclude=/opt / /\n`, listings: {base: [dir('opt'), dir('tmp', 0o1777)]}, output: `${HEAD}COPY --from=base /tmp /tmp\n`, findings: [{message: /\/tmp will be created with mode 0755/}]},
  {name: 'from a variable', text: `ARG SRC=base\n${HEAD}ARG SRC\nCOPY --from=$SRC --exclude=/opt / /\n`, listings: {base: [dir('opt'), file('f')]}, output: `ARG SRC=base\n${HEAD}ARG SRC\nCOPY --from=$SRC /f /f\n`},
])
