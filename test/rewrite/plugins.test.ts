/**
 * A repository's plugins are its own code: loaded only when the user asks (--plugins or
 * DBUILD_PLUGINS=1), and only from regular files inside the repository that holds the config.
 */
import {existsSync, mkdirSync, symlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import t from 'tap'

import {builtinRules} from '../../plugins/index.js'
import {DbuildError, ExitCode} from '../../src/exit-codes.js'
import {pluginSetting, resolveRules} from '../../src/rewrite/resolve.js'
import {gitRepo, tempDir, writeTree} from '../helpers/index.js'

/** A plugin that leaves a file behind when it runs: proof that code ran. */
const marking = (marker: string) =>
  `import {writeFileSync} from 'node:fs'\nwriteFileSync(${JSON.stringify(marker)}, 'ran')\nexport default {id: 'marker', description: 'd', defaultSeverity: 'info', check: () => []}\n`

async function repository(t: Parameters<typeof tempDir>[0]): Promise<{repo: string; config: string; marker: string; outside: string}> {
  const root = tempDir(t)
  const repo = path.join(root, 'repo')
  const marker = path.join(root, `ran-${Math.random().toString(36).slice(2)}`)
  await gitRepo(repo, {'tools/rule.mjs': marking(marker), Dockerfile: 'FROM scratch\n'})
  const outside = path.join(root, 'outside.mjs')
  writeFileSync(outside, marking(marker))
  return {repo, config: path.join(repo, '.dbuild.json'), marker, outside}
}

t.test('pluginSetting: the flag wins, then DBUILD_PLUGINS; nobody asking means no', async (t) => {
  t.equal(pluginSetting({env: {}}), undefined)
  t.equal(pluginSetting({env: {DBUILD_PLUGINS: '1'}}), true)
  t.equal(pluginSetting({env: {DBUILD_PLUGINS: 'true'}}), true)
  t.equal(pluginSetting({env: {DBUILD_PLUGINS: '0'}}), false)
  t.equal(pluginSetting({env: {DBUILD_PLUGINS: 'maybe'}}), undefined)
  t.equal(pluginSetting({allow: false, env: {DBUILD_PLUGINS: '1'}}), false, '--no-plugins beats the environment')
  t.equal(pluginSetting({allow: true, env: {DBUILD_PLUGINS: '0'}}), true, '--plugins beats the environment')
})

t.test('plugins do not run unless asked; the warning says how to allow them', async (t) => {
  const {config, marker} = await repository(t)
  const warnings: string[] = []
  const rules = await resolveRules(builtinRules, {plugins: ['./tools/rule.mjs'], rules: {marker: 'warn'}}, config, {
    env: {},
    warn: (m) => warnings.push(m),
  })
  t.notOk(existsSync(marker), 'the plugin did not run')
  t.notOk(rules.some((rule) => rule.id === 'marker'))
  t.match(warnings, [
    /plugins not loaded \(\.\/tools\/rule\.mjs\): a repository's plugins run as code on this machine.*--plugins or set DBUILD_PLUGINS=1/,
  ])

  const quiet: string[] = []
  await resolveRules(builtinRules, {plugins: ['./tools/rule.mjs']}, config, {env: {DBUILD_PLUGINS: '0'}, warn: (m) => quiet.push(m)})
  await resolveRules(builtinRules, {plugins: ['./tools/rule.mjs']}, config, {allow: false, env: {}, warn: (m) => quiet.push(m)})
  t.same(quiet, [], 'turned off explicitly: no warning')
  t.notOk(existsSync(marker))

  const loaded = await resolveRules(builtinRules, {plugins: ['./tools/rule.mjs']}, config, {env: {DBUILD_PLUGINS: '1'}})
  t.ok(existsSync(marker), 'DBUILD_PLUGINS=1 runs it')
  t.ok(loaded.some((rule) => rule.id === 'marker'))
})

t.test('only regular files inside the repository load, symlinks resolved', async (t) => {
  const {repo, config, marker, outside} = await repository(t)
  symlinkSync(outside, path.join(repo, 'tools', 'link.mjs'))
  mkdirSync(path.join(repo, 'tools', 'dir.mjs'))
  writeTree(path.dirname(repo), {'sibling/rule.mjs': marking(marker)})
  const refused: Array<[string, RegExp]> = [
    ['../outside.mjs', /resolves to .*outside\.mjs, outside the repository/],
    ['./tools/link.mjs', /resolves to .*outside\.mjs, outside the repository/],
    ['./../sibling/rule.mjs', /outside the repository/],
    ['./tools/dir.mjs', /is not a file/],
    ['./tools/missing.mjs', /cannot be read: ENOENT/],
    [`data:text/javascript,${encodeURIComponent(marking(marker))}`, /is not a relative path starting with \.\/ or \.\.\//],
    [outside, /is not a relative path/],
    ['node:fs', /is not a relative path/],
    ['left-pad', /is not a relative path/],
  ]
  for (const [specifier, message] of refused) {
    const error = await resolveRules(builtinRules, {plugins: [specifier]}, config, {allow: true}).then(
      () => undefined,
      (error: unknown) => error,
    )
    t.ok(error instanceof DbuildError, specifier)
    t.equal((error as DbuildError).exit, ExitCode.CONFIG)
    t.match((error as Error).message, message, specifier)
  }
  t.notOk(existsSync(marker), 'none of them ran')
})

t.test('a config outside any git work tree may load files beside it only', async (t) => {
  const root = tempDir(t)
  const marker = path.join(root, 'ran')
  writeTree(root, {'ctx/rules/r.mjs': marking(marker), 'up.mjs': marking(marker)})
  const config = path.join(root, 'ctx', '.dbuild.json')
  await t.rejects(resolveRules(builtinRules, {plugins: ['../up.mjs']}, config, {allow: true}), /outside the repository/)
  await resolveRules(builtinRules, {plugins: ['./rules/r.mjs']}, config, {allow: true})
  t.ok(existsSync(marker))
})

t.test('a plugin whose check() throws or returns no list is named with its file and exit 78, never a dbuild bug', async (t) => {
  const {execa} = await import('execa')
  const {ROOT} = await import('../engine/index.js')
  const bodies = {
    throws: "check: () => { throw new Error('boom') }",
    'returns-null': 'check: () => null',
    'returns-junk': 'check: () => [{nope: 1}]',
    'needs-throws': "needs: () => { throw new TypeError('no facts') }, check: () => []",
  }
  for (const [name, body] of Object.entries(bodies)) {
    const repo = await gitRepo(path.join(tempDir(t), 'repo'), {
      'tools/rule.mjs': `export default {id: 'broken', description: 'd', defaultSeverity: 'error', ${body}}\n`,
      '.dbuild.json': JSON.stringify({plugins: ['./tools/rule.mjs']}),
      Dockerfile: 'FROM scratch\n',
    })
    const result = await execa(process.execPath, [path.join(ROOT, 'bin', 'run.js'), 'lint', '--plugins', 'Dockerfile'], {
      cwd: repo,
      reject: false,
      env: {...process.env, NO_COLOR: '1'},
    })
    t.equal(result.exitCode, ExitCode.CONFIG, `${name}: exit 78`, {stderr: result.stderr})
    t.match(result.stderr, new RegExp(`tools/rule\\.mjs: plugin rule "broken" `), `${name}: names the plugin's file and rule`)
    t.notMatch(result.stderr, /dbuild bug/, `${name}: not reported as a dbuild bug`)
  }
})
