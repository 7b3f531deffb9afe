/**
 * Test data (no tests of its own): .dockerignore cases whose expected listings were taken from
 * BuildKit itself (`FROM scratch` + `COPY . /` + `--output type=local`, Docker 26.1, buildx 0.13).
 * test/stage/ignore.test.ts checks the matcher against them offline; the integration test
 * test/integration/stage-ignore.test.ts re-checks them against the live engine.
 */
import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {writeTree} from '../helpers/index.js'

export interface IgnoreCase {
  name: string
  /** Files to create (empty content unless given); a trailing `/` makes an empty directory. */
  files: string[]
  ignore: string
  /** Dockerfile path relative to the context (default `Dockerfile`); its `.dockerignore` sibling may be listed in `extra`. */
  dockerfile?: string
  /** Extra files: path → content (e.g. a Dockerfile-specific ignore file). */
  extra?: Record<string, string>
  /** Every path BuildKit sent, sorted. */
  expected: string[]
}

export const IGNORE_CASES: IgnoreCase[] = [
  {
    name: 'exceptions, parent results, regexp characters, ** suffixes',
    files: [
      'x/y/f',
      'x/z',
      'a/b/c/f',
      'a/b/g',
      'a/h',
      'keep/deep/f',
      'keep/g',
      'node_modules/pkg/lib/i.js',
      'node_modules/pkg/package.json',
      'docs/temp1/f',
      'docs/tempfile',
      'src/tempo/z/f',
      'other/temp/q',
      'c++',
      '(p)',
      'foobar',
      'barfoo',
      't/xfoo',
      'README.md',
      'd1/sub/f',
      'root.txt',
      'sub.txt',
      'e/f/g',
    ],
    ignore:
      'x/y\n!x\na\n!a/b\na/b/c\nnode_modules\n!node_modules/pkg/package.json\n*/temp*\n/root.txt\n./sub.txt\nc++\n(p)\n**foo\nd1/**\n!d1/sub/f\ne\n!e/f/\n',
    expected: [
      '.dockerignore',
      'Dockerfile',
      'README.md',
      'a',
      'a/b',
      'a/b/g',
      'd1',
      'd1/sub',
      'd1/sub/f',
      'docs',
      'e',
      'e/f',
      'e/f/g',
      'foobar',
      'keep',
      'keep/deep',
      'keep/deep/f',
      'keep/g',
      'node_modules',
      'node_modules/pkg',
      'node_modules/pkg/package.json',
      'other',
      'src',
      't',
      'x',
      'x/z',
    ],
  },
  {
    name: 'wildcard exceptions inside ignored directories, comments, spaces, classes',
    files: ['a/x.md', 'a/y.txt', 'a/deep/z.md', 'b.txt', 'important.txt', 'notes/c.txt', 'docs/', 'abc1', 'abd1', 'ab1', '#hash', 'sp ace'],
    ignore: '# a comment\na\n!**/*.md\n*.txt   \n !  important.txt\nab[c]1\ndocs/\n#hash\n  sp ace  \n',
    expected: [
      '#hash',
      '.dockerignore',
      'Dockerfile',
      'a',
      'a/deep',
      'a/deep/z.md',
      'a/x.md',
      'ab1',
      'abd1',
      'important.txt',
      'notes',
      'notes/c.txt',
    ],
  },
  {
    name: '** in the middle and at the end, leading ./ and /, exceptions below **',
    files: [
      'build/a/out/o',
      'build/keep/out/o',
      'build/out/o',
      'cache/x',
      'lib/cache/y',
      'lib/deep/cache/z',
      'logs/1.log',
      'logs/keep.log',
      'top.log',
      'sub/top.log',
    ],
    ignore: 'build/**/out\n!build/keep/out\n**/cache\n./logs/*.log\n!/logs/keep.log\n/*.log\n',
    expected: [
      '.dockerignore',
      'Dockerfile',
      'build',
      'build/a',
      'build/keep',
      'build/keep/out',
      'build/keep/out/o',
      'lib',
      'lib/deep',
      'logs',
      'logs/keep.log',
      'sub',
      'sub/top.log',
    ],
  },
  {
    name: 'a Dockerfile-specific ignore file wins over the context one',
    files: ['app/main.go', 'docs/readme', 'secret.env'],
    dockerfile: 'build/app.Dockerfile',
    extra: {'.dockerignore': 'app\n', 'build/app.Dockerfile.dockerignore': 'docs\n*.env\n'},
    ignore: '',
    expected: ['.dockerignore', 'app', 'app/main.go', 'build', 'build/app.Dockerfile', 'build/app.Dockerfile.dockerignore'],
  },
  {
    name: "Go's character classes: POSIX, Perl, Unicode, negated, escaped",
    files: [
      'foo',
      '1oo',
      '_oo',
      'aoo',
      'xd',
      'x5',
      '[lit]',
      'q-',
      'qz',
      'q9',
      'r]',
      'ra',
      's^',
      'sb',
      'tab',
      'u.x',
      'ux',
      'v\\',
      'w*',
      'wz',
      'yA',
      'yb',
      'zé',
      'z1',
    ],
    ignore: '[[:alpha:]]oo\nx[\\d]\n\\[lit\\]\nq[[:digit:]-]\ns[\\^]\nt[^[:space:]]b\nu\\.x\nw\\*\ny[[:^lower:]]\nz[\\p{L}]\n',
    expected: ['.dockerignore', '1oo', 'Dockerfile', '_oo', 'qz', 'r]', 'ra', 'sb', 'ux', 'v\\', 'wz', 'xd', 'yb', 'z1'],
  },
  {
    name: 'in a pattern with a wildcard, { } and | keep their regexp meaning; + ( ) do not',
    files: ['foox1', 'fox1', 'fo{2}x1', 'kite', 'azz', 'zzb', 'k|zz1', 'a{1', 'b}1', 'hh1', 'h{1,}1', 'c++1', 'cc1', 'p1', '(p)1'],
    ignore: 'fo{2}x?\nk|zz?\na{?\nb}?\nh{1,}?\nc++?\n(p)?\n',
    expected: ['.dockerignore', 'Dockerfile', 'azz', 'cc1', 'fox1', 'fo{2}x1', 'h{1,}1', 'p1'],
  },
  {
    name: 'a .dockerignore that is a directory is sent and ignores nothing',
    files: ['.dockerignore/inside', 'a'],
    ignore: '',
    expected: ['.dockerignore', '.dockerignore/inside', 'Dockerfile', 'a'],
  },
  {
    name: 'a <Dockerfile>.dockerignore that is a directory gives way to .dockerignore',
    files: ['build/app.Dockerfile.dockerignore/', 'a', 'b'],
    dockerfile: 'build/app.Dockerfile',
    extra: {'.dockerignore': 'a\n'},
    ignore: '',
    expected: ['.dockerignore', 'b', 'build', 'build/app.Dockerfile', 'build/app.Dockerfile.dockerignore'],
  },
]

/** Creates the case's context in `dir` (with a `FROM scratch` + `COPY . /` Dockerfile) and returns the Dockerfile's path. */
export function makeCaseContext(dir: string, testCase: IgnoreCase): string {
  const dockerfile = path.join(dir, testCase.dockerfile ?? 'Dockerfile')
  for (const file of testCase.files) {
    if (file.endsWith('/')) mkdirSync(path.join(dir, file), {recursive: true})
    else writeTree(dir, {[file]: `${file}\n`})
  }
  writeTree(dir, {...testCase.extra, [path.relative(dir, dockerfile)]: 'FROM scratch\nCOPY . /\n'})
  if (testCase.ignore) writeFileSync(path.join(dir, '.dockerignore'), testCase.ignore)
  return dockerfile
}
