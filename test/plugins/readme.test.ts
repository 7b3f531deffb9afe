/** The README's rule table is the user's list of rules: it must name every registered rule, with its default severity, and no other. */
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import t from 'tap'

import {builtinRules} from '../../plugins/index.js'
import {compareCodeUnits} from '../../src/compare.js'

const README = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'README.md')

t.test("README's rule table matches the registered rules", async (t) => {
  const text = readFileSync(README, 'utf8')
  const section = /^## Rules\n([\s\S]*?)^## /m.exec(text)?.[1]
  if (!section) throw new Error('README.md has no "## Rules" section')
  const rows = [...section.matchAll(/^\| `([a-z0-9-]+)` \| (error|warning|info) \|/gm)].map((m) => ({id: m[1], severity: m[2]}))
  const byId = (a: {id?: string}, b: {id?: string}) => compareCodeUnits(a.id ?? '', b.id ?? '')
  t.same(rows.sort(byId), builtinRules.map((rule) => ({id: rule.id, severity: rule.defaultSeverity})).sort(byId))
  t.equal(new Set(rows.map((row) => row.id)).size, rows.length, 'each rule once')
})
