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
    t.same(listTree(staged.dir).map((entry) => entry.path), testCase.expected)
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

t.test('matcher table (where @balena/dockerignore differs, the expectation is the engine\'s)', async (t) => {
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
  for (const [patterns, rel, isSent] of table) t.equal(sent(patterns, rel), isSent, `${JSON.stringify(patterns)}: ${rel} ${isSent ? 'sent' : 'left out'}`)
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
  t.same(entries.map((entry) => entry.rel), [''], 'the walk leaves the ignored directory out')
})

t.test('bad patterns name the file and line', async (t) => {
  t.throws(() => parseIgnoreFile('ok\n!\n', '/ctx/.dockerignore'), new DbuildError('/ctx/.dockerignore:2: illegal exclusion pattern "!"', ExitCode.INPUT))
  t.throws(() => parseIgnoreFile('a\n[z-a]\n', '/ctx/.dockerignore'), {message: /^\/ctx\/\.dockerignore:2: invalid pattern/, exit: ExitCode.INPUT})
})
