import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import t from 'tap'

import {builtinRules} from '../../plugins/index.js'
import {DbuildError} from '../../src/exit-codes.js'
import {
  applyFixes,
  expandWord,
  type Finding,
  parseDockerfile,
  resolveRules,
  rewriteDockerfile,
  type Rule,
  variableScopes,
} from '../../src/rewrite/index.js'
import {tempDir, writeTree} from '../helpers/index.js'

const BYTES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'bytes')
const none = {unavailable: 'no probes in unit tests'}
const finding = (ruleId: string, ...fix: [number, number, string][]): Finding => ({
  ruleId,
  severity: 'error',
  message: '',
  line: 1,
  fix: fix.map(([s, e, text]) => ({range: [s, e], text})),
})

t.test('byte identity: where no rule fixes, the output is the input', async (t) => {
  const files = readdirSync(BYTES).filter((name) => name.endsWith('.Dockerfile'))
  t.ok(files.length >= 5)
  for (const name of files) {
    const text = readFileSync(path.join(BYTES, name), 'utf8')
    const result = await rewriteDockerfile(builtinRules, {text, file: name, config: {}, facts: none})
    t.equal(result.changed, false, `${name}: unchanged`)
    t.ok(Buffer.from(result.text, 'utf8').equals(readFileSync(path.join(BYTES, name))), `${name}: byte-identical`)
  }
})

t.test('a fix touches only its bytes: CRLF, BOM and escape=` kept around it', async (t) => {
  const name = 'escape-backtick-crlf.Dockerfile'
  const text = readFileSync(path.join(BYTES, name), 'utf8')
  const result = await rewriteDockerfile(builtinRules, {text, file: name, config: {users: {app: '1000:1000'}}, facts: none})
  t.equal(result.text, text.replace('--chown=app', '--chown=1000:1000'))
})

t.test('heredoc bodies are not instructions', async (t) => {
  const model = parseDockerfile(readFileSync(path.join(BYTES, 'heredoc.Dockerfile'), 'utf8'))
  t.same(
    model.instructions.map((i) => i.keyword),
    ['FROM', 'RUN', 'COPY'],
  )
})

t.test('applier: sorted, overlapping fixes dropped whole and reported', async (t) => {
  const text = '0123456789'
  const a = finding('a', [6, 8, 'X'])
  const b = finding('b', [2, 4, 'Y'], [9, 10, 'Z'])
  const c = finding('c', [3, 7, 'W'])
  const d = finding('d', [0, 0, '<'])
  const e = finding('e', [0, 0, '>'])
  const result = applyFixes(text, [a, b, c, d, e])
  t.equal(result.text, '<01Y45X8Z')
  t.same(
    result.dropped.map((f) => f.ruleId),
    ['e', 'c'],
  )
  t.same(
    result.applied.map((f) => f.ruleId),
    ['d', 'b', 'a'],
  )
  t.same(applyFixes(text, [finding('bad', [5, 20, 'x'])]).dropped.length, 1, 'out of range is dropped')
})

t.test('applier: an identical edit shared by two findings is applied once, and both count as applied', async (t) => {
  const text = 'FROM x\nCOPY a b\nCOPY c d\n'
  const helper: [number, number, string] = [0, 0, 'FROM y AS h\n']
  const one = finding('one', helper, [7, 11, 'COPY --from=h'])
  const two = finding('two', helper, [16, 20, 'COPY --from=h'])
  const result = applyFixes(text, [one, two])
  t.equal(result.text, 'FROM y AS h\nFROM x\nCOPY --from=h a b\nCOPY --from=h c d\n')
  t.same(result.dropped, [])
  t.same(result.applied.map((f) => f.ruleId).sort(), ['one', 'two'])
  t.equal(
    applyFixes(text, [finding('x', [0, 0, 'A']), finding('y', [0, 0, 'B'])]).dropped.length,
    1,
    'two different insertions at one point still conflict',
  )
})

t.test('applier: an as-built edit carries the image-resolving edits inside it; any other inner edit still conflicts', async (t) => {
  const text = 'FROM x\nCOPY --from=img / /\n'
  const mirror: Finding = finding('image-mirror', [19, 22, 'm/img'])
  const line = (asBuilt: boolean): Finding => ({
    ...finding('whole-line'),
    fix: [{range: [7, 26], text: 'COPY --from=m/img /a /a', asBuilt}],
  })
  const carried = applyFixes(text, [mirror, line(true)], undefined, mirror.fix)
  t.equal(carried.text, 'FROM x\nCOPY --from=m/img /a /a\n')
  t.same(carried.dropped, [], 'nothing dropped')
  t.same(
    carried.applied.map((f) => f.ruleId),
    ['whole-line', 'image-mirror'],
  )
  t.same(
    applyFixes(text, [mirror, line(false)], undefined, mirror.fix).dropped.map((f) => f.ruleId),
    ['image-mirror'],
    'an edit not marked asBuilt does not carry',
  )
  t.same(
    applyFixes(text, [mirror, line(true)]).dropped.map((f) => f.ruleId),
    ['image-mirror'],
    'only the as-built edits are carried',
  )
  const sameStart = finding('image-mirror', [7, 11, 'copy'])
  t.same(applyFixes(text, [sameStart, line(true)], undefined, sameStart.fix).dropped, [], 'at one start the as-built edit goes first')
})

t.test('engine reports dropped overlapping fixes', async (t) => {
  const rule = (id: string, text: string): Rule => ({
    id,
    description: id,
    defaultSeverity: 'warning',
    check: () => [{ruleId: id, severity: 'warning', message: id, line: 1, fix: [{range: [0, 4], text}]}],
  })
  const result = await rewriteDockerfile([rule('one', 'ONE'), rule('two', 'TWO')], {text: 'FROM x\n', file: 'D', config: {}})
  t.equal(result.text, 'ONE x\n')
  t.same(
    result.dropped.map((f) => f.ruleId),
    ['two'],
  )
  t.equal(result.findings.length, 2)
})

t.test('variable expansion as BuildKit does it', async (t) => {
  const vars: Record<string, string> = {A: 'a', EMPTY: ''}
  const lookup = (name: string) => vars[name]
  const table: [string, string, string[]][] = [
    ['$A', 'a', []],
    ['${A}:users', 'a:users', []],
    ['${B:-x}', 'x', []],
    ['${EMPTY:-x}', 'x', []],
    ['${EMPTY-x}', '', []],
    ['${A:+set}', 'set', []],
    ['${B:+set}', '', []],
    ['${B-$A}', 'a', []],
    ['"$A b"', 'a b', []],
    ["'$A'", '$A', []],
    ['\\$A', '$A', []],
    ['$B', '', ['B']],
    ['x$', 'x$', []],
  ]
  for (const [word, value, unresolved] of table) t.same(expandWord(word, lookup), {value, unresolved}, word)
  t.same(expandWord('`$A', lookup, '`'), {value: '$A', unresolved: []}, 'escape=`')

  const model = parseDockerfile('ARG G=g\nARG H\nFROM x AS one\nARG G\nARG L=${G}-l\nENV E=$L\nRUN a\nFROM one\nRUN b\nARG H\nRUN c\n')
  const scopes = variableScopes(model, {H: 'h'})
  const at = (line: number, name: string) => scopes[model.instructions.find((i) => i.line === line)!.index]!(name)
  t.equal(at(3, 'G'), 'g', 'global ARG in FROM')
  t.equal(at(7, 'L'), 'g-l', 'stage ARG default from the redeclared global')
  t.equal(at(7, 'E'), 'g-l', 'ENV')
  t.equal(at(9, 'E'), 'g-l', 'ENV inherited from the parent stage')
  t.equal(at(9, 'G'), 'g', 'a stage FROM another inherits its ARGs (dispatchState.init takes the base state)')
  t.equal(at(9, 'H'), undefined, 'an ARG without a value sets nothing')
  t.equal(at(7, 'TARGETSTAGE'), undefined, 'predefined ARGs reach a stage only when it declares them')
  t.equal(at(3, 'TARGETOS'), 'linux', 'predefined ARGs are meta ARGs, visible to FROM')

  const redeclared = parseDockerfile('FROM debian AS base\nARG UID=1000\nFROM base AS dev\nARG UID\nRUN id\nENV UID=5\nARG UID=7\nRUN id\n')
  const redeclaredScopes = variableScopes(redeclared)
  const in_ = (line: number, name: string) => redeclaredScopes[redeclared.instructions.find((i) => i.line === line)!.index]!(name)
  t.equal(in_(5, 'UID'), '1000', 're-declared without a default keeps the value of the base stage')
  t.equal(in_(8, 'UID'), '7', 'ARG and ENV write one environment: the later one wins')
  t.equal(at(11, 'H'), 'h', '--build-arg overrides')
})

/** A small seeded PRNG (mulberry32) so failures reproduce. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

function generate(random: () => number): string {
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)] as T
  const newline = random() < 0.3 ? '\r\n' : '\n'
  const lines: string[] = []
  if (random() < 0.3) lines.push(pick(['# syntax=docker/dockerfile:1', '# syntax=docker/dockerfile:1.7-labs', '# escape=\\']))
  if (random() < 0.4) lines.push('ARG OWNER=app')
  lines.push(pick(['FROM ubuntu:22.04 AS base', 'FROM base-image AS base', 'FROM 127.0.0.1:5000/x AS base']))
  const count = 1 + Math.floor(random() * 8)
  for (let i = 0; i < count; i++) {
    lines.push(
      pick([
        'RUN echo hi',
        `RUN echo a \\${newline}  && echo b`,
        'COPY --link --chown=app:users a /a',
        'COPY --link --chown=${OWNER} a /a',
        'COPY --link --chown=1000 a /a',
        'COPY --chown=app a /a',
        'COPY --chmod=644 a /a',
        'ADD https://example.com/x.tgz /x',
        'COPY src/ lib/ /app/',
        '# a comment',
        '# dbuild ignore=link-chown',
        'ENV OWNER=builder',
        `RUN <<EOF${newline}COPY --link --chown=app a /b${newline}EOF`,
        '',
      ]),
    )
  }
  lines.push('FROM scratch')
  if (random() < 0.6)
    lines.push(
      pick([
        'COPY --from=base --exclude=/opt / /',
        'COPY --from=base --exclude=/usr/share/doc / /',
        'COPY --from=ubuntu /etc/os-release /',
      ]),
    )
  return (random() < 0.2 ? '\uFEFF' : '') + lines.join(newline) + (random() < 0.8 ? newline : '')
}

t.test('idempotence over generated Dockerfiles', async (t) => {
  const random = prng(20240601)
  const config = {
    users: {app: '1000:1000'},
    groups: {users: 100},
    mirrors: {ubuntu: 'mirror.example/ubuntu', 'docker/dockerfile': 'mirror.example/dockerfile'},
  }
  const listing = [
    {path: 'bin', type: 'dir' as const, mode: 0o755, uid: 0, gid: 0},
    {path: 'opt', type: 'dir' as const, mode: 0o755, uid: 0, gid: 0},
    {path: 'usr', type: 'dir' as const, mode: 0o755, uid: 0, gid: 0},
    {path: 'usr/share', type: 'dir' as const, mode: 0o755, uid: 0, gid: 0},
    {path: 'usr/share/doc', type: 'dir' as const, mode: 0o755, uid: 0, gid: 0},
  ]
  const facts = {...none, listings: new Map([['base', listing]])}
  let changed = 0
  for (let i = 0; i < 200; i++) {
    const text = generate(random)
    const once = await rewriteDockerfile(builtinRules, {text, file: 'D', config, facts})
    const twice = await rewriteDockerfile(builtinRules, {text: once.text, file: 'D', config, facts})
    if (once.changed) changed++
    if (twice.text !== once.text) {
      t.fail('not idempotent', {text, once: once.text, twice: twice.text})
      return
    }
    const bare = await rewriteDockerfile([], {text, file: 'D', config})
    if (bare.text !== text) t.fail('no rules must mean identical bytes', {text})
  }
  t.ok(changed > 20, `the generator exercises fixes (${changed} of 200 changed)`)
})

t.test('resolveRules: config plugins and rule settings', async (t) => {
  const dir = tempDir(t)
  writeTree(dir, {
    'rules/no-latest.mjs': `export default {id: 'no-latest', description: 'd', defaultSeverity: 'warning', check: (ctx) => ctx.dockerfile.instructions.filter((i) => i.keyword === 'FROM' && i.args[0]?.value.endsWith(':latest')).map((i) => ({ruleId: 'no-latest', severity: ctx.severity, message: 'pin it', line: i.line}))}\n`,
  })
  const configPath = path.join(dir, '.dbuild.json')
  const rules = await resolveRules(
    builtinRules,
    {plugins: ['./rules/no-latest.mjs'], rules: {'image-mirror': 'off', 'link-chown': 'warn'}},
    configPath,
    {allow: true},
  )
  t.ok(rules.some((r) => r.id === 'no-latest'))
  t.notOk(rules.some((r) => r.id === 'image-mirror'))
  t.same(
    rules.map((r) => r.id),
    [...rules.map((r) => r.id)].sort(),
  )
  const text = 'FROM x:latest\nCOPY --link --chown=app a /a\n'
  const result = await rewriteDockerfile(rules, {text, file: 'D', config: {users: {app: '1:1'}}})
  t.equal(result.text, text, 'warn: reported, not fixed')
  t.match(result.findings, [
    {ruleId: 'no-latest', line: 1},
    {ruleId: 'link-chown', severity: 'warning', line: 2},
  ])
  await t.rejects(resolveRules(builtinRules, {rules: {nope: 'off'}}, configPath), DbuildError)
  await t.rejects(resolveRules(builtinRules, {plugins: ['./missing.js']}, configPath, {allow: true}), DbuildError)
})

t.test('the built-in registry is sorted and ids match files', async (t) => {
  const ids = builtinRules.map((rule) => rule.id)
  t.same(ids, [...ids].sort())
  t.same(ids, [
    'add-url-checksum',
    'chmod-not-cache-fix',
    'copy-merges-dirs',
    'exclude-root',
    'git-in-context',
    'image-mirror',
    'link-chown',
  ])
})
