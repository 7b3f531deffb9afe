/**
 * The rule tester, after ESLint's RuleTester: a rule's spec is a table of valid cases (no finding,
 * bytes unchanged) and invalid cases (the findings they must give, and the output when a fix
 * changes the text). The tester asserts every finding's ruleId, and its severity (the rule's
 * default unless the case states another), rejects duplicate cases, and runs each fix twice to
 * check it is idempotent. A case may run other rules alongside (`alongside`, as the build runs them):
 * only the tested rule's findings are compared, and no rule's fix may be dropped.
 */
import type {Test} from 'tap'

import type {DbuildConfig} from '../../src/config.js'
import {type Accounts, type BuilderFact, type Finding, rewriteDockerfile, type Rule, type TreeEntry} from '../../src/rewrite/index.js'

/** A t.match pattern for T: any field may be left out, and any string may be a RegExp. */
type Pattern<T> = T extends string
  ? string | RegExp
  : T extends (infer U)[]
    ? Pattern<U>[]
    : T extends object
      ? {[K in keyof T]?: Pattern<T[K]>}
      : T

export interface ValidCase {
  name: string
  /** The Dockerfile. */
  code: string
  /** Where the case comes from, when it was reduced from a real file: `owner/repo path:line`. */
  origin?: string
  config?: DbuildConfig
  buildArgs?: Record<string, string>
  /** Names of the build's named contexts (`--build-context NAME=…`, bake `contexts`). */
  buildContexts?: string[]
  platform?: string
  /** line → /etc/passwd and /etc/group just before that line */
  accounts?: Record<number, Accounts | {error: string}>
  /** `--from` value → that stage's tree */
  listings?: Record<string, TreeEntry[] | {error: string}>
  /** The builder as `docker buildx inspect` reports it. */
  builder?: BuilderFact | {error: string}
  /** Context path → its kind, for rules that stat the context. */
  contextKinds?: Record<string, 'dir' | 'file'>
  /** Top-level context paths BuildKit is sent (there, and not left out by .dockerignore). */
  contextSends?: string[]
  /** Rules the build runs with this one whose fixes meet its own (image-mirror's `--from=` inside a line the rule rewrites). */
  alongside?: Rule[]
}

export interface InvalidCase extends ValidCase {
  /** The findings, in order; each a t.match pattern. At least one. */
  errors: [Pattern<Finding>, ...Pattern<Finding>[]]
  /** The text after the fixes; required when they change it. */
  output?: string
  /** The build args the findings' buildArgFix change (name → value buildx gets); required when there are any. */
  buildArgsOutput?: Record<string, string>
}

export interface RuleTable {
  valid: ValidCase[]
  invalid: InvalidCase[]
}

async function run(rule: Rule, c: ValidCase, text = c.code, buildArgs = c.buildArgs) {
  return rewriteDockerfile([rule, ...(c.alongside ?? [])], {
    text,
    file: 'Dockerfile',
    config: c.config ?? {},
    ...(buildArgs ? {buildArgs} : {}),
    ...(c.platform ? {platform: c.platform} : {}),
    ...(c.buildContexts ? {buildContexts: c.buildContexts} : {}),
    facts: {
      accounts: new Map(Object.entries(c.accounts ?? {}).map(([line, value]) => [Number(line), value])),
      listings: new Map(Object.entries(c.listings ?? {})),
      ...(c.builder ? {builder: c.builder} : {}),
      unavailable: 'no probes in unit tests',
      ...(c.contextKinds ? {contextKind: (source: string) => c.contextKinds?.[source.replace(/\/+$/, '')]} : {}),
      ...(c.contextSends ? {contextSends: (name: string) => c.contextSends?.includes(name) ?? false} : {}),
    },
  })
}

/** The findings of the tested rule, without those of the rules run alongside it. */
const ownFindings = (rule: Rule, findings: Finding[]) => findings.filter((finding) => finding.ruleId === rule.id)

/** Everything but the name and origin: two cases that differ only there test the same thing. */
function identity(c: ValidCase | InvalidCase): string {
  const {name: _name, origin: _origin, ...rest} = c
  return JSON.stringify(rest)
}

export function ruleTester(t: Test, rule: Rule, table: RuleTable): void {
  const seen = new Map<string, string>()
  for (const c of [...table.valid, ...table.invalid]) {
    const key = identity(c)
    const earlier = seen.get(key)
    if (earlier !== undefined) throw new Error(`${rule.id}: duplicate case "${c.name}" (same as "${earlier}")`)
    seen.set(key, c.name)
  }

  t.test(`${rule.id}: valid`, async (t) => {
    for (const c of table.valid) {
      const result = await run(rule, c)
      t.same(ownFindings(rule, result.findings), [], `${c.name}: no findings`)
      t.equal(result.text, c.code, `${c.name}: unchanged`)
      t.same(result.buildArgs, {}, `${c.name}: no build arg changed`)
    }
  })

  t.test(`${rule.id}: invalid`, async (t) => {
    for (const c of table.invalid) {
      if (!Array.isArray(c.errors) || c.errors.length === 0) throw new Error(`${rule.id}: invalid case "${c.name}" must state its findings`)
      const result = await run(rule, c)
      const findings = ownFindings(rule, result.findings)
      t.equal(findings.length, c.errors.length, `${c.name}: number of findings`, {
        found: findings.map(({ruleId, severity, line, message}) => ({ruleId, severity, line, message})),
      })
      if (c.alongside)
        t.same(
          result.dropped.map((finding) => `${finding.ruleId} line ${finding.line}`),
          [],
          `${c.name}: no fix dropped`,
        )
      findings.forEach((finding: Finding, i) => {
        const expected = c.errors[i] ?? {}
        t.equal(finding.ruleId, rule.id, `${c.name}: finding ${i} ruleId`)
        if (!('severity' in expected))
          t.equal(finding.severity, rule.defaultSeverity, `${c.name}: finding ${i} has the rule's default severity`)
        t.match(finding, expected, `${c.name}: finding ${i}`)
      })
      t.same(result.buildArgs, c.buildArgsOutput ?? {}, `${c.name}: the build args the fixes change`)
      if (c.buildArgsOutput) {
        const again = await run(rule, c, result.text, {...c.buildArgs, ...result.buildArgs})
        t.same(again.buildArgs, {}, `${c.name}: the build arg fix is idempotent`)
      }
      if (c.output === undefined) {
        t.equal(result.text, c.code, `${c.name}: the fix changed the text, so the case must state its output`)
        continue
      }
      t.not(c.output, c.code, `${c.name}: an output equal to the code states nothing: leave it out`)
      t.equal(result.text, c.output, `${c.name}: output`)
      const again = await run(rule, c, result.text)
      t.equal(again.text, result.text, `${c.name}: the fix is idempotent`)
    }
  })
}

export const dir = (path: string, mode = 0o755, uid = 0, gid = 0): TreeEntry => ({path, type: 'dir', mode, uid, gid})
export const file = (path: string, mode = 0o644): TreeEntry => ({path, type: 'file', mode, uid: 0, gid: 0})
export const symlink = (path: string, linkname: string): TreeEntry => ({path, type: 'symlink', mode: 0o777, uid: 0, gid: 0, linkname})
