/**
 * install, uninstall and status over every starting state of git's hooks directory: no hook, a foreign
 * hook, dbuild's, a chained copy identical to the hook now in place, and a hook displaced by a tool.
 * Each row: what status says first, what install does (always exit 0), what status says after, and
 * what uninstall leaves (byte for byte the foreign files, nothing of dbuild's).
 */
import {chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import t from 'tap'

import {ExitCode} from '../../src/exit-codes.js'
import {
  gitRunsConfigHooks,
  type HookAction,
  type HookState,
  type HooksLocation,
  hookScript,
  hookStatus,
  installHooks,
  uninstallHooks,
} from '../../src/hook/index.js'
import {tempDir} from '../helpers/index.js'

const FOREIGN = "#!/bin/sh\n# a teammate's hook\necho foreign\n"
const LEFTHOOK = '#!/bin/sh\n\ncall_lefthook()\n{\n  lefthook "$@"\n}\n\ncall_lefthook run "post-checkout" "$@"\n'

interface Row {
  name: string
  /** Files in the hooks directory before (post-checkout only; the other two hooks start missing). */
  setup: (dir: string) => void
  status: HookState
  displacedBy?: string
  install: HookAction
  /** post-checkout's files after uninstall: name → content (mode checked for the foreign ones). */
  after: Record<string, string>
}

const put = (dir: string, name: string, text: string, mode = 0o755) => {
  writeFileSync(path.join(dir, name), text)
  chmodSync(path.join(dir, name), mode)
}

const ROWS: Row[] = [
  {name: 'no hook', setup: () => {}, status: 'missing', install: 'installed', after: {}},
  {
    name: 'a foreign hook',
    setup: (dir) => put(dir, 'post-checkout', FOREIGN, 0o750),
    status: 'foreign',
    install: 'chained',
    after: {'post-checkout': FOREIGN},
  },
  {
    name: "dbuild's hook",
    setup: (dir) => put(dir, 'post-checkout', hookScript('post-checkout')),
    status: 'installed',
    install: 'unchanged',
    after: {},
  },
  {
    name: 'an older dbuild hook',
    setup: (dir) => put(dir, 'post-checkout', hookScript('post-checkout').replace(/dbuild-hook [0-9a-f]{12}/, 'dbuild-hook v1')),
    status: 'installed',
    install: 'updated',
    after: {},
  },
  {
    name: 'a chained copy identical to the hook in place (a tool wrote its hook again)',
    setup: (dir) => {
      put(dir, 'post-checkout', FOREIGN, 0o750)
      put(dir, 'post-checkout.dbuild-chained', FOREIGN, 0o750)
    },
    status: 'displaced',
    displacedBy: 'another tool',
    install: 'repaired',
    after: {'post-checkout': FOREIGN},
  },
  {
    name: 'displaced to .old by lefthook, which has since gone (lefthook uninstall restores .old)',
    setup: (dir) => {
      put(dir, 'post-checkout', LEFTHOOK)
      put(dir, 'post-checkout.old', hookScript('post-checkout'))
    },
    status: 'displaced',
    displacedBy: 'lefthook',
    install: 'repaired',
    after: {'post-checkout': LEFTHOOK},
  },
  {
    name: "dbuild's hook moved aside with nothing in its place",
    setup: (dir) => put(dir, 'post-checkout.old', hookScript('post-checkout')),
    status: 'displaced',
    displacedBy: 'another tool',
    install: 'repaired',
    after: {},
  },
]

/** The post-checkout files in `dir` with their contents. */
function postCheckoutFiles(dir: string): Record<string, string> {
  const files: Record<string, string> = {}
  for (const name of readdirSync(dir).sort()) if (name.startsWith('post-checkout')) files[name] = readFileSync(path.join(dir, name), 'utf8')
  return files
}

for (const row of ROWS) {
  t.test(`starting from ${row.name}`, async (t) => {
    const dir = path.join(tempDir(t), 'hooks')
    mkdirSync(dir)
    row.setup(dir)
    const location: HooksLocation = {dir, root: path.dirname(dir), manager: {kind: 'hooks-dir'}}
    const [before] = hookStatus(location)
    t.equal(before?.state, row.status, 'status before')
    t.equal(before?.displacedBy, row.displacedBy, 'names the tool that displaced it')

    const installed = installHooks(location)
    t.same(
      installed.map((h) => [h.name, h.action]),
      [
        ['post-checkout', row.install],
        ['post-merge', 'installed'],
        ['post-rewrite', 'installed'],
      ],
      'install',
    )
    t.same(
      hookStatus(location).map((h) => [h.state, h.outdated]),
      [
        ['installed', false],
        ['installed', false],
        ['installed', false],
      ],
      'status after install',
    )
    t.equal(readFileSync(path.join(dir, 'post-checkout'), 'utf8'), hookScript('post-checkout'))
    t.same(
      installHooks(location).map((h) => h.action),
      ['unchanged', 'unchanged', 'unchanged'],
      'install again changes nothing',
    )

    uninstallHooks(location)
    t.same(postCheckoutFiles(dir), row.after, "uninstall leaves the foreign hook and nothing of dbuild's")
    if (row.after['post-checkout'] === FOREIGN) t.equal(lstatSync(path.join(dir, 'post-checkout')).mode & 0o7777, 0o750, 'with its mode')
    t.notOk(existsSync(path.join(dir, 'post-merge')) || existsSync(path.join(dir, 'post-rewrite')), 'the hooks dbuild created are gone')
    t.same(
      uninstallHooks(location).map((h) => h.action),
      ['unchanged', 'unchanged', 'unchanged'],
      'uninstall again changes nothing',
    )
  })
}

t.test('two different foreign hooks (one chained, another in place) are a conflict for a person: exit 73 with both paths', async (t) => {
  const dir = path.join(tempDir(t), 'hooks')
  mkdirSync(dir)
  put(dir, 'post-checkout.dbuild-chained', FOREIGN)
  put(dir, 'post-checkout', '#!/bin/sh\necho another\n')
  const location: HooksLocation = {dir, root: path.dirname(dir), manager: {kind: 'hooks-dir'}}
  t.throws(() => installHooks(location), {
    exit: ExitCode.CANT_CREATE,
    message: /post-checkout: a foreign hook replaced dbuild's while post-checkout\.dbuild-chained still holds a different one/,
  })
  t.equal(readFileSync(path.join(dir, 'post-checkout'), 'utf8'), '#!/bin/sh\necho another\n', 'nothing changed')
})

t.test("git's own hook config (hook.<name>.command) is offered from git 2.54 on", async (t) => {
  const table: Array<[string | undefined, boolean]> = [
    ['git version 2.39.5', false],
    ['git version 2.53.1', false],
    ['git version 2.54.0', true],
    ['git version 2.60.0.windows.1', true],
    ['git version 3.0.0', true],
    [undefined, false],
  ]
  for (const [version, offered] of table) t.equal(gitRunsConfigHooks(version), offered, String(version))
})
