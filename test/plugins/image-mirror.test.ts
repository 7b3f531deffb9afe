import t from 'tap'

import {mirrorReference, rule} from '../../plugins/image-mirror.js'
import {runTable} from './table.js'

const mirrors = {'docker.io/docker/dockerfile': 'registry.example.com/mirror/dockerfile', ubuntu: 'registry.example.com/hub/ubuntu', 'ghcr.io/org': 'mirror.example/ghcr-org'}

t.test('mirrorReference', async (t) => {
  const table: [string, string | undefined][] = [
    ['docker/dockerfile:1.7', 'registry.example.com/mirror/dockerfile:1.7'],
    ['docker.io/docker/dockerfile@sha256:abc', 'registry.example.com/mirror/dockerfile@sha256:abc'],
    ['ubuntu', 'registry.example.com/hub/ubuntu'],
    ['library/ubuntu:22.04', 'registry.example.com/hub/ubuntu:22.04'],
    ['docker.io/library/ubuntu:22.04@sha256:abc', 'registry.example.com/hub/ubuntu:22.04@sha256:abc'],
    ['ubuntu-other:1', undefined],
    ['ghcr.io/org/tool:2', 'mirror.example/ghcr-org/tool:2'],
    ['localhost:5000/x:1', undefined],
    ['registry.example.com/hub/ubuntu:22.04', undefined],
  ]
  for (const [input, expected] of table) t.equal(mirrorReference(input, mirrors), expected, input)
})

runTable(t, rule, [
  {name: 'no mirrors, no hub frontend', text: 'FROM 127.0.0.1:5000/base\nRUN true\n', findings: []},
  {
    name: 'all four places rewritten, stages and scratch left alone',
    text: '# syntax=docker/dockerfile:1.7\nFROM ubuntu:22.04 AS build\nFROM scratch\nCOPY --from=build /a /a\nCOPY --from=ghcr.io/org/tool:2 /bin/tool /tool\nRUN --mount=type=bind,from=ubuntu,target=/u true\n',
    config: {mirrors},
    output: '# syntax=registry.example.com/mirror/dockerfile:1.7\nFROM registry.example.com/hub/ubuntu:22.04 AS build\nFROM scratch\nCOPY --from=build /a /a\nCOPY --from=mirror.example/ghcr-org/tool:2 /bin/tool /tool\nRUN --mount=type=bind,from=registry.example.com/hub/ubuntu,target=/u true\n',
  },
  {name: 'syntax from Docker Hub without a mirror warns', text: '# syntax=docker/dockerfile:1\nFROM scratch\n', findings: [{line: 1, severity: 'warning', message: /Docker Hub/}]},
  {name: 'dockerfile-copy referenced', text: 'FROM scratch\nCOPY --from=docker/dockerfile-copy:v0.1.9 /bin/copy /copy\n', findings: [{line: 2, message: /dockerfile-copy/}]},
  {name: 'BUILDKIT_DISABLE_FILEOP', text: 'FROM scratch\nARG BUILDKIT_DISABLE_FILEOP=1\n', findings: [{line: 2, message: /BUILDKIT_DISABLE_FILEOP/}]},
  {name: 'image in a variable is reported, not rewritten', text: 'ARG BASE=ubuntu\nFROM $BASE\n', config: {mirrors}, findings: [{severity: 'info', message: /variable/}]},
  {name: 'CRLF and BOM kept', text: '\uFEFF# syntax=docker/dockerfile:1\r\nFROM ubuntu\r\n', config: {mirrors}, output: '\uFEFF# syntax=registry.example.com/mirror/dockerfile:1\r\nFROM registry.example.com/hub/ubuntu\r\n'},
])
