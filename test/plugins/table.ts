/** The table runner for rule tests: each case is a Dockerfile, hand-written facts, and the expected output. */
import type {Test} from 'tap'

import type {DbuildConfig} from '../../src/config.js'
import {type Accounts, type Finding, rewriteDockerfile, type Rule, type TreeEntry} from '../../src/rewrite/index.js'

/** A t.match pattern for T: any field may be left out, and any string may be a RegExp. */
type Pattern<T> = T extends string ? string | RegExp : T extends (infer U)[] ? Pattern<U>[] : T extends object ? {[K in keyof T]?: Pattern<T[K]>} : T

export interface Case {
  name: string
  text: string
  config?: DbuildConfig
  buildArgs?: Record<string, string>
  /** line → /etc/passwd and /etc/group just before that line */
  accounts?: Record<number, Accounts | {error: string}>
  listings?: Record<string, TreeEntry[] | {error: string}>
  /** Expected output; omitted means unchanged. */
  output?: string
  /** Expected findings (tap's t.match on each, so strings may be patterns, at any depth), in order. */
  findings?: Pattern<Finding>[]
}

export async function runCase(t: Test, rule: Rule, c: Case): Promise<void> {
  const options = {
    text: c.text,
    file: 'Dockerfile',
    config: c.config ?? {},
    ...(c.buildArgs ? {buildArgs: c.buildArgs} : {}),
    facts: {
      accounts: new Map(Object.entries(c.accounts ?? {}).map(([line, value]) => [Number(line), value])),
      listings: new Map(Object.entries(c.listings ?? {})),
      unavailable: 'no probes in unit tests',
    },
  }
  const result = await rewriteDockerfile([rule], options)
  t.equal(result.text, c.output ?? c.text, `${c.name}: output`)
  if (c.findings) {
    t.equal(result.findings.length, c.findings.length, `${c.name}: number of findings`, {found: result.findings})
    c.findings.forEach((expected, i) => t.match(result.findings[i], expected, `${c.name}: finding ${i}`))
  }
  const again = await rewriteDockerfile([rule], {...options, text: result.text})
  t.equal(again.text, result.text, `${c.name}: idempotent`)
}

export function runTable(t: Test, rule: Rule, cases: Case[]): void {
  for (const c of cases) t.test(c.name, (t) => runCase(t, rule, c))
}

export const dir = (path: string, mode = 0o755, uid = 0, gid = 0): TreeEntry => ({path, type: 'dir', mode, uid, gid})
export const file = (path: string, mode = 0o644): TreeEntry => ({path, type: 'file', mode, uid: 0, gid: 0})
export const symlink = (path: string, linkname: string): TreeEntry => ({path, type: 'symlink', mode: 0o777, uid: 0, gid: 0, linkname})
