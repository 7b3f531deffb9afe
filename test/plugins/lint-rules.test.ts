import t from 'tap'

import {rule as addUrlChecksum} from '../../plugins/add-url-checksum.js'
import {rule as chmodNotCacheFix} from '../../plugins/chmod-not-cache-fix.js'
import {rule as copyMergesDirs} from '../../plugins/copy-merges-dirs.js'
import {dir, file, runTable} from './table.js'

t.test('add-url-checksum', async (t) => {
  runTable(t, addUrlChecksum, [
    {name: 'with checksum', text: 'FROM scratch\nADD --checksum=sha256:abc https://example.com/a.tgz /a\n', findings: []},
    {name: 'local file', text: 'FROM scratch\nADD a.tgz /a\n', findings: []},
    {name: 'git url', text: 'FROM scratch\nADD https://github.com/o/r.git#v1 /src\n', findings: []},
    {name: 'url without checksum', text: 'FROM scratch\nADD https://example.com/a.tgz /a\n', findings: [{severity: 'warning', line: 2, suggestion: 'ADD --checksum=sha256:<digest> https://example.com/a.tgz /a'}]},
  ])
})

t.test('chmod-not-cache-fix', async (t) => {
  runTable(t, chmodNotCacheFix, [
    {name: 'no chmod', text: 'FROM scratch\nCOPY a /a\n', findings: []},
    {name: 'chmod from another stage is fine', text: 'FROM scratch AS s\nFROM scratch\nCOPY --from=s --chmod=644 a /a\n', findings: []},
    {name: 'chmod on context files', text: 'FROM scratch\nCOPY --chmod=644 a /a\n', findings: [{severity: 'info', message: /checksum/}]},
  ])
})

t.test('copy-merges-dirs', async (t) => {
  runTable(t, copyMergesDirs, [
    {name: 'one source', text: 'FROM scratch\nCOPY src/ /app/\n', findings: []},
    {name: 'with --parents', text: 'FROM scratch\nCOPY --parents src/ lib/ /app/\n', findings: []},
    {name: 'files', text: 'FROM scratch\nCOPY a b /app/\n', findings: []},
    {name: 'two directories', text: 'FROM scratch\nCOPY src/ lib/ /app/\n', findings: [{severity: 'warning', message: /merged/, suggestion: 'COPY src/ /app/src\nCOPY lib/ /app/lib'}]},
    {name: 'directories from a stage listing', text: 'FROM x AS s\nFROM scratch\nCOPY --from=s /bin /opt /\n', listings: {s: [dir('bin'), dir('opt'), file('f')]}, findings: [{message: /\/bin, \/opt/}]},
  ])
})
