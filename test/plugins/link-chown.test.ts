import t from 'tap'

import {rule} from '../../plugins/link-chown.js'
import {runTable} from './table.js'

const accounts = {
  passwd: 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\nbuilder:x:2000:100::/home/builder:/bin/sh\n',
  group: 'root:x:0:\nusers:x:100:\napp:x:1000:\nstaff:x:50:\n',
}
const FROM = 'FROM base\n'

runTable(t, rule, [
  // valid: nothing to do
  {name: 'numeric ids', text: `${FROM}COPY --link --chown=1000:1000 a /a\n`, findings: []},
  {name: 'bare number', text: `${FROM}COPY --link --chown=1234 a /a\n`, findings: []},
  {name: 'chown without link is untouched', text: `${FROM}COPY --chown=app:app a /a\n`, findings: []},
  {name: '--link=false is untouched', text: `${FROM}COPY --link=false --chown=app a /a\n`, findings: []},
  {name: 'link without chown', text: `${FROM}COPY --link a /a\n`, findings: []},
  // invalid, fixed
  {name: 'name:group from the stage', text: `${FROM}COPY --link --chown=app:users a /a\n`, accounts: {2: accounts}, output: `${FROM}COPY --link --chown=1000:100 a /a\n`, findings: [{ruleId: 'link-chown', severity: 'error', line: 2}]},
  {name: 'name alone gets the primary gid', text: `${FROM}COPY --link --chown=builder a /a\n`, accounts: {2: accounts}, output: `${FROM}COPY --link --chown=2000:100 a /a\n`},
  {name: 'number:group', text: `${FROM}ADD --link --chown=1000:staff a /a\n`, accounts: {2: accounts}, output: `${FROM}ADD --link --chown=1000:50 a /a\n`},
  {name: 'config users and groups win and need no probe', text: `${FROM}COPY --link --chown=opam:wheel a /a\n`, config: {users: {opam: '1000:1000'}, groups: {wheel: 10}}, output: `${FROM}COPY --link --chown=1000:10 a /a\n`},
  {name: 'config user alone gives its primary gid', text: `${FROM}COPY --link --chown=opam a /a\n`, config: {users: {opam: '1001:1002'}}, output: `${FROM}COPY --link --chown=1001:1002 a /a\n`},
  {name: 'from a stage ARG default', text: `${FROM}ARG OWNER=app\nCOPY --link --chown=\${OWNER}:users a /a\n`, accounts: {3: accounts}, output: `${FROM}ARG OWNER=app\nCOPY --link --chown=1000:100 a /a\n`},
  {name: 'from a global ARG redeclared, overridden by --build-arg', text: `ARG OWNER=app\n${FROM}ARG OWNER\nCOPY --link --chown=$OWNER a /a\n`, buildArgs: {OWNER: 'builder'}, accounts: {4: accounts}, output: `ARG OWNER=app\n${FROM}ARG OWNER\nCOPY --link --chown=2000:100 a /a\n`},
  {name: 'other bytes untouched (CRLF, continuation, other flags)', text: `${FROM}COPY --link \\\r\n   --chown=app  --chmod=644 a /a\r\n`, accounts: {2: accounts}, output: `${FROM}COPY --link \\\r\n   --chown=1000:1000  --chmod=644 a /a\r\n`},
  // invalid, unsure: unchanged with the reason and the line to paste
  {name: 'unknown user', text: `${FROM}COPY --link --chown=nobody a /a\n`, accounts: {2: accounts}, findings: [{message: /"nobody" is not in \/etc\/passwd/, suggestion: 'COPY --link --chown=<uid>:<gid> a /a'}]},
  {name: 'unknown group', text: `${FROM}COPY --link --chown=app:nogroup a /a\n`, accounts: {2: accounts}, findings: [{message: /group "nogroup"/}]},
  {name: 'no facts', text: `${FROM}COPY --link --chown=app a /a\n`, findings: [{message: /no probes in unit tests/}]},
  {name: 'probe failed', text: `${FROM}COPY --link --chown=app a /a\n`, accounts: {2: {error: 'the probe build failed'}}, findings: [{message: /the probe build failed/}]},
  {name: 'global ARG not redeclared is empty in the stage', text: `ARG OWNER=app\n${FROM}COPY --link --chown=\${OWNER}:users a /a\n`, findings: [{message: /\$OWNER, which is not set/}]},
  // pragma
  {name: 'dbuild ignore pragma', text: `${FROM}# dbuild ignore=link-chown\nCOPY --link --chown=app a /a\n`, accounts: {3: accounts}, findings: []},
])
