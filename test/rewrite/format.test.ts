import t from 'tap'

import {builtinRules} from '../../plugins/index.js'
import {
  diffPath,
  formatCheckstyle,
  formatGithub,
  formatGitlab,
  formatJson,
  formatSarif,
  formatText,
  unifiedDiff,
} from '../../src/rewrite/format.js'
import type {Finding} from '../../src/rewrite/index.js'

const findings: Finding[] = [
  {ruleId: 'link-chown', severity: 'error', message: 'names, a: b', line: 2, fix: [{range: [0, 1], text: 'x'}]},
  {ruleId: 'add-url-checksum', severity: 'warning', message: 'no checksum', line: 3, suggestion: 'ADD --checksum=sha256:<digest> u /a'},
]

t.test('text', async (t) => {
  const fixed = new Set([findings[0]!])
  t.equal(
    formatText(findings, 'Dockerfile', fixed),
    'Dockerfile:2: error [link-chown] names, a: b (fixed)\nDockerfile:3: warning [add-url-checksum] no checksum\n    ADD --checksum=sha256:<digest> u /a',
  )
})

t.test('github workflow commands escape properties and data', async (t) => {
  t.equal(
    formatGithub([{file: 'a,b:Dockerfile', findings}]).split('\n')[0],
    '::error file=a%2Cb%3ADockerfile,line=2,title=dbuild link-chown::names, a: b',
  )
  t.match(formatGithub([{file: 'D', findings}]), /::warning file=D,line=3,title=dbuild add-url-checksum::no checksum%0AADD/)
})

t.test('sarif', async (t) => {
  const sarif = JSON.parse(formatSarif([{file: 'Dockerfile', findings}], builtinRules))
  t.equal(sarif.version, '2.1.0')
  t.equal(sarif.runs[0].tool.driver.rules.length, builtinRules.length)
  t.match(sarif.runs[0].results[0], {ruleId: 'link-chown', level: 'error', locations: [{physicalLocation: {region: {startLine: 2}}}]})
})

t.test('json, gitlab and checkstyle name the file of each finding', async (t) => {
  const reports = [
    {file: 'a/Dockerfile', findings},
    {file: 'b.Dockerfile', findings: [findings[1]!]},
    {file: 'clean.Dockerfile', findings: []},
  ]
  t.match(JSON.parse(formatJson(reports)).findings, [
    {file: 'a/Dockerfile', ruleId: 'link-chown', fixable: true},
    {file: 'a/Dockerfile', fixable: false},
    {file: 'b.Dockerfile'},
  ])
  const gitlab = JSON.parse(formatGitlab(reports)) as {fingerprint: string}[]
  t.match(gitlab, [
    {check_name: 'link-chown', severity: 'major', location: {path: 'a/Dockerfile', lines: {begin: 2}}},
    {severity: 'minor'},
    {location: {path: 'b.Dockerfile'}},
  ])
  t.equal(new Set(gitlab.map((issue) => issue.fingerprint)).size, 3, 'fingerprints differ')
  const xml = formatCheckstyle(reports)
  t.match(xml, /<file name="a\/Dockerfile">\n {4}<error line="2" severity="error" message="names, a: b" source="dbuild.link-chown"\/>/)
  t.match(xml, /message="no checksum&#10;ADD --checksum=sha256:&lt;digest&gt; u \/a"/, 'newlines and markup escaped')
  t.match(xml, /<file name="clean.Dockerfile">\n {2}<\/file>/, 'a clean file is listed too')
})

t.test('unified diff', async (t) => {
  t.equal(unifiedDiff('a\n', 'a\n', 'D'), '')
  const before = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'].join('\n') + '\n'
  const after = before.replace('2\n', 'two\n').replace('11\n', 'eleven\n')
  t.equal(
    unifiedDiff(before, after, 'D'),
    [
      '--- a/D',
      '+++ b/D',
      '@@ -1,5 +1,5 @@',
      ' 1',
      '-2',
      '+two',
      ' 3',
      ' 4',
      ' 5',
      '@@ -8,5 +8,5 @@',
      ' 8',
      ' 9',
      ' 10',
      '-11',
      '+eleven',
      ' 12',
      '',
    ].join('\n'),
  )
  t.match(unifiedDiff('a', 'b', 'D'), /-a\n\\ No newline at end of file\n\+b\n\\ No newline at end of file/)
})

t.test("a diff names a file with control characters, quotes or backslashes in git's quotes", async (t) => {
  t.equal(diffPath('a/Dockerfile'), 'a/Dockerfile')
  t.equal(diffPath('a/é ü'), 'a/é ü', 'other characters stay as they are, as git apply reads them')
  t.equal(diffPath('a/x"y\\z\tw\n\u001b\u007f'), '"a/x\\"y\\\\z\\tw\\n\\033\\177"')
})
