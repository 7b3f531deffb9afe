/** .dockerignore matching: the engine-recorded cases offline, and the points where BuildKit and @balena/dockerignore part. */
import {mkdirSync} from 'node:fs'
import path from 'node:path'

import t from 'tap'

import {DbuildError, ExitCode} from '../../src/exit-codes.js'
import {IgnoreMatcher, parseIgnoreFile} from '../../src/stage/ignore.js'
import {walkTree} from '../../src/stage/walk.js'
import {stageContext} from '../../src/stage/index.js'
import {tempDir} from '../helpers/index.js'
import {IGNORE_CASES, makeCaseContext} from './ignore-cases.js'
import {listTree} from './listing.js'

const root = tempDir(t, 'dbuild-ignore-')

for (const [index, testCase] of IGNORE_CASES.entries()) {
  t.test(`stage: ${testCase.name}`, async (t) => {
    const context = path.join(root, `case${index}`)
    mkdirSync(context)
    const dockerfile = makeCaseContext(context, testCase)
    const staged = await stageContext({context, dockerfile, out: path.join(root, `stage${index}`)})
    t.same(
      listTree(staged.dir).map((entry) => entry.path),
      testCase.expected,
    )
  })
}

/** Whether `rel` is sent, evaluating every ancestor first as the walk does. */
function sent(patterns: string, rel: string): boolean {
  const matcher = new IgnoreMatcher(parseIgnoreFile(patterns))
  let info
  let excluded = false
  const parts = rel.split('/')
  for (let i = 1; i <= parts.length; i++) ({excluded, info} = matcher.match(parts.slice(0, i).join('/'), info))
  return !excluded
}

t.test("matcher table (where @balena/dockerignore differs, the expectation is the engine's)", async (t) => {
  const table: Array<[patterns: string, path: string, isSent: boolean]> = [
    ['x/y\n!x', 'x/y', false], // balena: sent (it re-tries !x on the parent)
    ['x/y\n!x', 'x/z', true],
    ['c++', 'c++', false], // balena: throws "Nothing to repeat"
    ['(p)', '(p)', false], // balena: matches "p", not "(p)"
    ['**foo', 'barfoo', false], // balena: sent
    ['**foo', 'foobar', true],
    ['**/foo', 'a/b/foo', false],
    ['**/foo', 'foo', false],
    ['a/**', 'a', true],
    ['a/**', 'a/b', false],
    ['Readme.md', 'README.md', true], // case-sensitive, as on Linux
    ['*/temp*', 'a/tempx/deep', false],
    ['*/temp*', 'tempx', true],
    ['/abs', 'abs', false],
    ['./dot', 'dot', false],
    ['dir/', 'dir/file', false],
    ['a\n!a/b\na/b/c', 'a/b/c/d', false],
    ['a\n!a/b\na/b/c', 'a/b/d', true],
    ['\uFEFFbom', 'bom', false],
    ['ab[c]1', 'abc1', false],
    ['ab[c]1', 'abd1', true],
    ['ab?', 'abc', false],
    ['\\*lit', '*lit', false],
  ]
  for (const [patterns, rel, isSent] of table)
    t.equal(sent(patterns, rel), isSent, `${JSON.stringify(patterns)}: ${rel} ${isSent ? 'sent' : 'left out'}`)
})

t.test('an excluded directory is descended only when an exception could reach into it', async (t) => {
  const cases: Array<[patterns: string, dir: string, descend: boolean]> = [
    ['node_modules', 'node_modules', false],
    ['node_modules\n!node_modules/pkg/package.json', 'node_modules', true],
    ['node_modules\n!other/file', 'node_modules', false],
    ['node_modules\n!**/*.md', 'node_modules', true],
    ['node_modules\n!node_*/keep', 'node_modules', true],
    ['node_modules\n!src/*.md', 'node_modules', false],
  ]
  for (const [patterns, dir, descend] of cases) {
    t.equal(new IgnoreMatcher(parseIgnoreFile(patterns)).mayIncludeBelow(dir), descend, `${JSON.stringify(patterns)}: ${dir}`)
  }
  const context = path.join(root, 'pruned')
  mkdirSync(path.join(context, 'node_modules', 'deep'), {recursive: true})
  const entries = walkTree(context, {matcher: new IgnoreMatcher(parseIgnoreFile('node_modules\n'))})
  t.same(
    entries.map((entry) => entry.rel),
    [''],
    'the walk leaves the ignored directory out',
  )
})

t.test('bad patterns name the file and line', async (t) => {
  t.throws(
    () => parseIgnoreFile('ok\n!\n', '/ctx/.dockerignore'),
    new DbuildError('/ctx/.dockerignore:2: illegal exclusion pattern "!"', ExitCode.INPUT),
  )
  // what Go's filepath.Match rejects fails at once, as patternmatcher.New fails the build
  for (const bad of ['[', '[]', 'a\\', '[a-]', 'x[^]]', '*[']) {
    t.throws(
      () => parseIgnoreFile(`a\n${bad}\n`, '/ctx/.dockerignore'),
      {message: /^\/ctx\/\.dockerignore:2: syntax error in pattern/, exit: ExitCode.INPUT},
      bad,
    )
  }
  // what only Go's regexp rejects fails when the pattern is first used, as in BuildKit
  for (const bad of ['[z-a]', 'z[[:foo:]]', 'x[\\p{Nope}]', 'a\\q*', 'a{2}{3}*']) {
    const matcher = new IgnoreMatcher(parseIgnoreFile(`ok\n${bad}\n`, '/ctx/.dockerignore'))
    t.throws(
      () => matcher.match('file', undefined),
      {message: /^\/ctx\/\.dockerignore:2: syntax error in pattern/, exit: ExitCode.INPUT},
      bad,
    )
  }
})

t.test("Go's regexp syntax in patterns", async (t) => {
  const cases: [pattern: string, sent: string[], excluded: string[]][] = [
    ['[[:alpha:]]oo', ['1oo', '_oo', 'oo'], ['foo', 'Zoo']],
    ['[[:^alpha:][:digit:]]x', ['ax'], ['1x', '_x']],
    ['x[\\d\\s]', ['xd', 'x'], ['x5', 'x ']],
    ['x[\\D]', ['x5'], ['xd']],
    ['[^a-c]z', ['az', 'bz'], ['dz', 'éz', '/z']],
    // `^k|zz[^/]*$`: the second branch is not anchored at the start
    ['k|zz*', ['z', 'az'], ['kite', 'zz', 'azz', 'zzb']],
    ['a{2,3}*', ['a', 'ba'], ['aa', 'aaa', 'aaab']],
    ['a{,2}*', ['a'], ['a{,2}', 'a{,2}x']],
    ['[[:word:]]*.go', ['-x.go', 'x.gox'], ['main.go', '_.go']],
    ['é[[:alpha:]]*', ['éé'], ['éa', 'éab']],
    ['u\\x41*', ['ux41'], ['uA', 'uAB']],
    // `\Q…\E` quotes the regexp patternmatcher wrote for `*`
    ['\\Qa*b\\E*', ['ab', 'a*b'], ['a[^/]*b', 'a[^/]*bc']],
  ]
  for (const [pattern, sent, excluded] of cases) {
    const matcher = new IgnoreMatcher(parseIgnoreFile(`${pattern}\n`))
    for (const path of sent) t.notOk(matcher.match(path, undefined).excluded, `${pattern} leaves ${path}`)
    for (const path of excluded) t.ok(matcher.match(path, undefined).excluded, `${pattern} excludes ${path}`)
  }
})
