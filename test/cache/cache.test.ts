/** Cache lists: placeholders, branch detection on real git repos, order and deduplication. */
import path from 'node:path'

import t from 'tap'

import {
  cacheLists,
  cacheSpecKey,
  ciBranch,
  currentBranch,
  dedupeSpecs,
  defaultBranch,
  expandSpec,
  placeholderValues,
  sanitizeTag,
} from '../../src/cache/index.js'
import {isCI} from '../../src/ci.js'
import {ExitCode} from '../../src/exit-codes.js'
import {gitEnv, gitRepo, sh, tempDir} from '../helpers/index.js'

const values = {branch: 'feature/login', default_branch: 'main'}

t.test('sanitizeTag', async (t) => {
  const cases: Array<[string, string]> = [
    ['main', 'main'],
    ['feature/login', 'feature-login'],
    ['refs/heads/release/1.2', 'release-1.2'],
    ['Fix Bug #12', 'Fix-Bug-12'],
    ['.hidden', 'hidden'],
    ['-x-', 'x'],
    ['ümlaut', 'mlaut'],
    ['///', 'unknown'],
    ['a'.repeat(200), 'a'.repeat(128)],
  ]
  for (const [branch, tag] of cases) t.equal(sanitizeTag(branch), tag, branch)
})

t.test('expandSpec', async (t) => {
  t.equal(expandSpec('type=registry,ref=r/app:cache-{branch}', values), 'type=registry,ref=r/app:cache-feature-login')
  t.equal(expandSpec('r/app:{default_branch}', values), 'r/app:main')
  t.equal(expandSpec('r/app:{branch}-{default_branch}', values), 'r/app:feature-login-main')
  t.equal(expandSpec('type=inline', values), 'type=inline')
  t.throws(() => expandSpec('r/app:{brnch}', values, '/p/.dbuild.json: cacheFrom'), {
    exit: ExitCode.CONFIG,
    message: /\/p\/\.dbuild\.json: cacheFrom: unknown placeholder \{brnch\}/,
  })
})

t.test('cacheSpecKey and dedupeSpecs', async (t) => {
  t.equal(cacheSpecKey('r/app:c'), cacheSpecKey('type=registry,ref=r/app:c'))
  t.equal(cacheSpecKey('ref=r/app:c,type=registry'), cacheSpecKey('type=registry,ref=r/app:c'))
  t.equal(cacheSpecKey('ref=r/app:c'), cacheSpecKey('type=registry,ref=r/app:c'))
  t.not(cacheSpecKey('type=local,src=a'), cacheSpecKey('type=local,src=b'))
  t.same(dedupeSpecs(['a:1', 'type=registry,ref=a:1', 'b:1', 'a:1', 'type=gha']), ['a:1', 'b:1', 'type=gha'])
})

t.test('cacheLists', async (t) => {
  const base = {userCacheFrom: [], userCacheTo: [], values, exportCache: false}
  const cases: Array<{name: string; input: Parameters<typeof cacheLists>[0]; from: string[]; to: string[]; notes?: RegExp}> = [
    {name: 'no config, no flags', input: base, from: [], to: []},
    {
      name: 'config then user, branch before default branch',
      input: {...base, configCacheFrom: ['r/app:cache-{branch}', 'r/app:cache-{default_branch}'], userCacheFrom: ['type=local,src=/c']},
      from: ['r/app:cache-feature-login', 'r/app:cache-main', 'type=local,src=/c'],
      to: [],
    },
    {
      name: 'on the default branch the two entries collapse',
      input: {
        ...base,
        values: {branch: 'main', default_branch: 'main'},
        configCacheFrom: ['r/app:cache-{branch}', 'r/app:cache-{default_branch}'],
      },
      from: ['r/app:cache-main'],
      to: [],
    },
    {
      name: "the user's copy of a config entry is not repeated",
      input: {...base, configCacheFrom: ['type=registry,ref=r/app:latest'], userCacheFrom: ['r/app:latest', 'r/other:x']},
      from: ['type=registry,ref=r/app:latest', 'r/other:x'],
      to: [],
    },
    {
      name: 'cacheTo unused on a developer machine',
      input: {...base, configCacheTo: ['type=registry,ref=r/app:cache-{branch},mode=max']},
      from: [],
      to: [],
      notes: /--export-cache/,
    },
    {
      name: 'cacheTo used in CI or with --export-cache',
      input: {...base, exportCache: true, configCacheTo: ['type=registry,ref=r/app:cache-{branch},mode=max']},
      from: [],
      to: ['type=registry,ref=r/app:cache-feature-login,mode=max'],
    },
    {
      name: 'a command-line --cache-to wins',
      input: {...base, exportCache: true, userCacheTo: ['type=inline'], configCacheTo: ['type=registry,ref=r/app:c']},
      from: [],
      to: [],
      notes: /command line wins/,
    },
  ]
  for (const c of cases) {
    const lists = cacheLists(c.input)
    t.same(lists.cacheFrom, c.from, `${c.name}: cacheFrom`)
    t.same(lists.cacheTo, c.to, `${c.name}: cacheTo`)
    if (c.notes) t.match(lists.notes.join('\n'), c.notes, `${c.name}: note`)
  }
})

t.test('isCI and ciBranch', async (t) => {
  t.equal(isCI({}), false)
  t.equal(isCI({CI: ''}), false)
  t.equal(isCI({CI: 'false'}), false)
  t.equal(isCI({CI: '0'}), false)
  t.equal(isCI({CI: 'true'}), true)
  t.equal(isCI({CI: '1'}), true)
  t.equal(ciBranch({}), undefined)
  t.equal(ciBranch({GITHUB_REF_NAME: '12/merge', GITHUB_HEAD_REF: 'feature/x'}), 'feature/x', 'a PR builds its source branch')
  t.equal(ciBranch({GITHUB_HEAD_REF: '', GITHUB_REF_NAME: 'main'}), 'main', 'empty variables are skipped')
  t.equal(ciBranch({CI_COMMIT_REF_NAME: 'dev'}), 'dev')
  t.equal(ciBranch({BRANCH_NAME: 'jenkins-branch'}), 'jenkins-branch')
  t.equal(ciBranch({GIT_BRANCH: 'origin/release'}), 'release')
})

t.test('branches from real git repositories', async (t) => {
  const dir = tempDir(t)
  const repo = await gitRepo(path.join(dir, 'repo'), {'a.txt': 'a\n'})
  const clean = {PATH: process.env.PATH}
  t.equal(await currentBranch(repo, clean), 'main')
  await sh('git checkout -q -b feature/login', {cwd: repo, env: gitEnv()})
  t.equal(await currentBranch(repo, clean), 'feature/login')
  await sh('git checkout -q --detach', {cwd: repo, env: gitEnv()})
  t.equal(await currentBranch(repo, clean), undefined, 'detached, no CI variable')
  t.equal(await currentBranch(repo, {GITHUB_REF_NAME: 'ci-branch'}), 'ci-branch', 'detached: the CI variable')

  t.equal(await defaultBranch(repo), 'main', 'no origin: main')
  t.equal(await defaultBranch(repo, 'trunk'), 'trunk', 'config.defaultBranch wins')
  await sh('git branch -q develop main', {cwd: repo, env: gitEnv()})
  const clone = path.join(dir, 'clone')
  await sh(`git clone -q -b develop ${JSON.stringify(repo)} ${JSON.stringify(clone)}`, {env: gitEnv()})
  await sh('git remote set-head origin develop', {cwd: clone, env: gitEnv()})
  t.equal(await defaultBranch(clone), 'develop', 'origin/HEAD')

  const outside = tempDir(t)
  const detached = await placeholderValues(['r/app:{branch}'], outside, {env: clean})
  t.same(detached.values, {branch: 'main', default_branch: 'main'}, 'outside git: {branch} falls back to the default branch')
  t.match(detached.notes.join('\n'), /default branch/)
  const unused = await placeholderValues(['r/app:latest'], outside, {env: clean})
  t.same(unused.notes, [], 'no placeholder, no git lookups and no notes')
})
