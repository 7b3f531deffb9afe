import t from 'tap'

import {rule} from '../../plugins/link-chown.js'
import {ruleTester} from './rule-tester.js'

const accounts = {
  passwd: 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\nbuilder:x:2000:100::/home/builder:/bin/sh\n',
  group: 'root:x:0:\nusers:x:100:\napp:x:1000:\nstaff:x:50:\n',
}
const FROM = 'FROM base\n'

ruleTester(t, rule, {
  valid: [
    {
      name: 'a stage FROM base re-declares an ARG that base gave a default (BuildKit builds 1000:1000)',
      origin: 'reduced from a lint run over whole repositories: ARG UID=1000 in the base stage, ARG UID again below FROM base',
      code: `FROM debian AS base\nARG UID=1000\nARG GID=1000\nFROM base AS dev\nARG UID\nARG GID\nCOPY --link --chown=$UID:$GID a /a\n`,
    },
    {name: 'numeric ids', code: `${FROM}COPY --link --chown=1000:1000 a /a\n`},
    {name: 'bare number', code: `${FROM}COPY --link --chown=1234 a /a\n`},
    {
      name: 'a number with an empty group needs no lookup (BuildKit: uid 1000, gid 0 on every store)',
      origin: 'differential tester, --chown spellings: COPY --link --chown=1000: f /f',
      code: `${FROM}COPY --link --chown=1000: a /a\n`,
    },
    {name: 'empty user and group are ID 0 to BuildKit: nothing to look up', code: `${FROM}COPY --link --chown=: a /a\n`},
    {name: 'chown without link is untouched', code: `${FROM}COPY --chown=app:app a /a\n`},
    {name: '--link=false is untouched', code: `${FROM}COPY --link=false --chown=app a /a\n`},
    {name: 'link without chown', code: `${FROM}COPY --link a /a\n`},
    {name: 'dbuild ignore pragma', code: `${FROM}# dbuild ignore=link-chown\nCOPY --link --chown=app a /a\n`, accounts: {3: accounts}},
  ],
  invalid: [
    {
      name: 'a quoted user that BuildKit reads as a plain name is fixed, quotes and all',
      code: `${FROM}COPY --link --chown="app:users" a /a\n`,
      accounts: {2: accounts},
      output: `${FROM}COPY --link --chown=1000:100 a /a\n`,
      errors: [{line: 2}],
    },
    {
      name: 'a stage FROM base sees the ARGs of base without declaring them',
      code: `FROM debian AS base\nARG USER=app\nFROM base\nCOPY --link --chown=\${USER}:users a /a\n`,
      accounts: {4: accounts},
      output: `FROM debian AS base\nARG USER=app\nFROM base\nCOPY --link --chown=1000:100 a /a\n`,
      errors: [{line: 4}],
    },
    {
      name: 'a meta ARG default built from another meta ARG',
      code: `ARG NAME=app\nARG OWNER=\${NAME}:users\n${FROM}ARG OWNER\nCOPY --link --chown=$OWNER a /a\n`,
      accounts: {5: accounts},
      output: `ARG NAME=app\nARG OWNER=\${NAME}:users\n${FROM}ARG OWNER\nCOPY --link --chown=1000:100 a /a\n`,
      errors: [{line: 5}],
    },
    {
      name: 'a later ARG default overrides an earlier ENV of the same name (one environment, as dispatchArg writes it)',
      code: `${FROM}ENV OWNER=nobody\nARG OWNER=app\nCOPY --link --chown=$OWNER a /a\n`,
      accounts: {4: accounts},
      output: `${FROM}ENV OWNER=nobody\nARG OWNER=app\nCOPY --link --chown=1000:1000 a /a\n`,
      errors: [{line: 4}],
    },
    {
      name: '--chown="app app" is one word to BuildKit, not "app" plus an argument: reported, never fixed',
      code: `${FROM}COPY --link --chown="app app" a /a\n`,
      accounts: {2: accounts},
      errors: [{line: 2, message: /BuildKit reads this flag as --chown="app app"/, fix: undefined}],
    },
    {
      name: 'name:group from the stage',
      code: `${FROM}COPY --link --chown=app:users a /a\n`,
      accounts: {2: accounts},
      output: `${FROM}COPY --link --chown=1000:100 a /a\n`,
      errors: [{ruleId: 'link-chown', severity: 'error', line: 2}],
    },
    {
      name: 'name alone gets the primary gid',
      code: `${FROM}COPY --link --chown=builder a /a\n`,
      accounts: {2: accounts},
      output: `${FROM}COPY --link --chown=2000:100 a /a\n`,
      errors: [{line: 2}],
    },
    {
      name: 'number:group',
      code: `${FROM}ADD --link --chown=1000:staff a /a\n`,
      accounts: {2: accounts},
      output: `${FROM}ADD --link --chown=1000:50 a /a\n`,
      errors: [{line: 2}],
    },
    {
      name: 'config users and groups win and need no probe',
      code: `${FROM}COPY --link --chown=opam:wheel a /a\n`,
      config: {users: {opam: '1000:1000'}, groups: {wheel: 10}},
      output: `${FROM}COPY --link --chown=1000:10 a /a\n`,
      errors: [{line: 2}],
    },
    {
      name: 'config user alone gives its primary gid',
      code: `${FROM}COPY --link --chown=opam a /a\n`,
      config: {users: {opam: '1001:1002'}},
      output: `${FROM}COPY --link --chown=1001:1002 a /a\n`,
      errors: [{line: 2}],
    },
    {
      name: 'from a stage ARG default',
      code: `${FROM}ARG OWNER=app\nCOPY --link --chown=\${OWNER}:users a /a\n`,
      accounts: {3: accounts},
      output: `${FROM}ARG OWNER=app\nCOPY --link --chown=1000:100 a /a\n`,
      errors: [{line: 3}],
    },
    {
      name: 'from a global ARG redeclared, overridden by --build-arg',
      code: `ARG OWNER=app\n${FROM}ARG OWNER\nCOPY --link --chown=$OWNER a /a\n`,
      buildArgs: {OWNER: 'builder'},
      accounts: {4: accounts},
      output: `ARG OWNER=app\n${FROM}ARG OWNER\nCOPY --link --chown=2000:100 a /a\n`,
      errors: [{line: 4}],
    },
    {
      name: 'other bytes untouched (CRLF, continuation, other flags)',
      code: `${FROM}COPY --link \\\r\n   --chown=app  --chmod=644 a /a\r\n`,
      accounts: {2: accounts},
      output: `${FROM}COPY --link \\\r\n   --chown=1000:1000  --chmod=644 a /a\r\n`,
      errors: [{line: 2}],
    },
    {
      name: "an empty group after the name is gid 0, not the user's primary gid (BuildKit sends an empty name as ID 0)",
      origin: 'differential tester seed 4 case 6: COPY --link --chown=app: f /f gave 1000:0 under plain buildx on the graphdriver store',
      code: `${FROM}COPY --link --chown=app: a /a\n`,
      accounts: {2: accounts},
      output: `${FROM}COPY --link --chown=1000:0 a /a\n`,
      errors: [{line: 2, message: /app: is 1000:0 here/}],
    },
    {
      name: 'an empty user before the group is uid 0',
      origin: 'differential tester, --chown spellings: COPY --link --chown=:staff f /f',
      code: `${FROM}COPY --link --chown=:staff a /a\n`,
      accounts: {2: accounts},
      output: `${FROM}COPY --link --chown=0:50 a /a\n`,
      errors: [{line: 2}],
    },
    {
      name: 'a uid of 2^31 or more is left alone and said why (the graphdriver worker gives the numeric form 0:0)',
      origin: 'adversarial pass: a user with uid 2147483648 in /etc/passwd, COPY --link --chown=big a /a',
      code: `${FROM}COPY --link --chown=big a /a\n`,
      accounts: {2: {passwd: 'big:x:2147483648:100::/:/bin/sh\n', group: 'users:x:100:\n'}},
      errors: [{line: 2, message: /2\^31 or more/, fix: undefined}],
    },
    {
      name: 'a gid of 2^31 or more from the group file is left alone too',
      origin: 'adversarial pass: a group with gid 4294967294, COPY --link --chown=app:huge a /a',
      code: `${FROM}COPY --link --chown=app:huge a /a\n`,
      accounts: {2: {passwd: accounts.passwd, group: 'huge:x:4294967294:\n'}},
      errors: [{line: 2, message: /2\^31 or more/, fix: undefined}],
    },
    {
      name: 'unknown user',
      code: `${FROM}COPY --link --chown=nobody a /a\n`,
      accounts: {2: accounts},
      errors: [{message: /"nobody" is not in \/etc\/passwd/, suggestion: 'COPY --link --chown=<uid>:<gid> a /a'}],
    },
    {
      name: 'unknown group',
      code: `${FROM}COPY --link --chown=app:nogroup a /a\n`,
      accounts: {2: accounts},
      errors: [{message: /group "nogroup"/}],
    },
    {name: 'no facts', code: `${FROM}COPY --link --chown=app a /a\n`, errors: [{message: /no probes in unit tests/}]},
    {
      name: 'probe failed',
      code: `${FROM}COPY --link --chown=app a /a\n`,
      accounts: {2: {error: 'the probe build failed'}},
      errors: [{message: /the probe build failed/}],
    },
    {
      name: 'global ARG not redeclared is empty in the stage',
      code: `ARG OWNER=app\n${FROM}COPY --link --chown=\${OWNER}:users a /a\n`,
      errors: [{message: /\$OWNER, which is not set/}],
    },
  ],
})
