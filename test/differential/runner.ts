/**
 * Runs differential cases: each is written to disk, built by plain buildx and by dbuild on each
 * given daemon (image store), and compared; a failing case can be reduced to a smaller one that
 * still fails, ready for fixed-cases.ts.
 */
import {mkdtempSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import type {Daemon, Store} from '../engine/index.js'
import {type BuildBothOptions, type BuildResult, buildTar, compareBuilds} from '../helpers/oracle.js'
import {type ContextNode, type DiffCase, utf8} from './cases.js'
import {applyEdits, materialize} from './materialize.js'
import {withoutVariantFlags} from './variants.js'

/** dbuild's exit code for its own bugs: never for a user's input (src/exit-codes.ts). */
const EXIT_BUG = 70

export interface Failure {
  store: Store
  phase: 'first build' | 'after edits' | 'concurrent'
  /** For a concurrent round: the flags of the build that differed. */
  args?: string[]
  differences: string[]
}

export interface CaseOutcome {
  id: string
  failures: Failure[]
  /** Stores where plain buildx failed (nothing to compare), with its exit code. */
  plainFailed: Array<{store: Store; exitCode: number; reason: string}>
  seconds: number
}

/** The case's context with its Dockerfile written from its lines (a reduction edits only the lines). */
function contextOf(testCase: DiffCase): ContextNode[] {
  const text = utf8(`${testCase.dockerfile.join('\n')}\n`)
  const at = testCase.dockerfilePath ?? 'Dockerfile'
  const nodes = testCase.context.map((node) => (node.path === at && node.kind === 'file' ? {...node, content: text} : node))
  if (!nodes.some((node) => node.path === at)) nodes.push({kind: 'file', path: at, content: text, mode: 0o644, mtime: '1600000000.0'})
  return nodes
}

/** Writes the case below `root`: the context at root/context, each named context at root/named-NAME; returns the flags. */
export function writeCase(root: string, testCase: DiffCase): {dir: string; args: string[]} {
  const dir = path.join(root, 'context')
  materialize(dir, contextOf(testCase))
  for (const [name, nodes] of Object.entries(testCase.namedContexts ?? {})) materialize(path.join(root, `named-${name}`), nodes)
  const args = testCase.args.map((arg) => arg.replace(/=@([\w-]+)$/, (_, name: string) => `=${path.join(root, `named-${name}`)}`))
  return {dir, args}
}

/** The first lines of buildx's error, for a report. */
function reason(output: string): string {
  const lines = output.split('\n').filter((line) => /error|ERROR|failed/.test(line))
  return (lines.at(-1) ?? output.trim().split('\n').at(-1) ?? '').slice(0, 300)
}

async function runOnStore(daemon: Daemon, testCase: DiffCase, outcome: CaseOutcome): Promise<void> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'dbuild-diff-'))
  try {
    const {dir, args} = writeCase(root, testCase)
    const options: BuildBothOptions = {dir, args, cacheDir: path.join(root, 'cache')}
    // A client's copy of a context keeps its root's time from the client's first sync: mtimes are the
    // builds' own from the first pair on
    let first: {plain: number; ours: number} | undefined
    const pair = async (phase: Failure['phase']): Promise<boolean> => {
      const plain = await buildTar('plain', daemon, options, root)
      const ours = await buildTar('dbuild', daemon, options, root)
      first ??= {plain: plain.started, ours: ours.started}
      if (plain.exitCode !== 0) {
        outcome.plainFailed.push({store: daemon.store, exitCode: plain.exitCode, reason: reason(plain.output)})
        if (ours.exitCode === EXIT_BUG)
          outcome.failures.push({
            store: daemon.store,
            phase,
            differences: [`dbuild exited ${EXIT_BUG} (a bug) on input plain buildx rejects:\n${ours.output.slice(-2000)}`],
          })
        return false
      }
      const differences = compareBuilds(plain, ours, {started: first})
      if (differences.length > 0) outcome.failures.push({store: daemon.store, phase, differences})
      return true
    }
    if ((await pair('first build')) && testCase.edits) {
      applyEdits(dir, testCase.edits)
      await pair('after edits')
    }
  } finally {
    rmSync(root, {recursive: true, force: true})
  }
}

/** Builds `testCase` by plain buildx and by dbuild on every daemon, in turn, and compares. */
export async function runCase(daemons: Daemon[], testCase: DiffCase): Promise<CaseOutcome> {
  const started = Date.now()
  const outcome: CaseOutcome = {id: testCase.id, failures: [], plainFailed: [], seconds: 0}
  for (const daemon of daemons) await runOnStore(daemon, testCase, outcome)
  outcome.seconds = (Date.now() - started) / 1000
  return outcome
}

/**
 * A concurrent round: plain buildx builds each variant (flags added to the case's) in turn, then
 * dbuild builds them all at once on one context and one cache directory, as parallel CI jobs or a
 * bake do; each of dbuild's images must equal plain's of the same variant.
 */
export async function runConcurrent(daemon: Daemon, testCase: DiffCase, variants: string[][]): Promise<CaseOutcome> {
  const started = Date.now()
  const outcome: CaseOutcome = {id: `${testCase.id} concurrent`, failures: [], plainFailed: [], seconds: 0}
  const root = mkdtempSync(path.join(os.tmpdir(), 'dbuild-diff-'))
  try {
    const {dir, args} = writeCase(root, testCase)
    const cacheDir = path.join(root, 'cache')
    const optionsOf = (variant: string[]): BuildBothOptions => ({dir, args: [...withoutVariantFlags(args), ...variant], cacheDir})
    const plains: BuildResult[] = []
    for (const variant of variants) plains.push(await buildTar('plain', daemon, optionsOf(variant), root))
    const ours = await Promise.all(variants.map((variant) => buildTar('dbuild', daemon, optionsOf(variant), root)))
    // Each builder's client synced the context first in its first build of the round
    const started = {plain: Math.min(...plains.map((p) => p.started)), ours: Math.min(...ours.map((o) => o.started))}
    variants.forEach((variant, i) => {
      const plain = plains[i]
      const mine = ours[i]
      if (!plain || !mine) return
      if (plain.exitCode !== 0) outcome.plainFailed.push({store: daemon.store, exitCode: plain.exitCode, reason: reason(plain.output)})
      const differences = compareBuilds(plain, mine, {started})
      if (differences.length > 0) outcome.failures.push({store: daemon.store, phase: 'concurrent', args: variant, differences})
    })
  } finally {
    rmSync(root, {recursive: true, force: true})
  }
  outcome.seconds = (Date.now() - started) / 1000
  return outcome
}

/** Every node below (or at) `at`, and hard links to files being removed. */
function withoutNode(nodes: ContextNode[], at: string): ContextNode[] {
  const gone = (p: string): boolean => p === at || p.startsWith(`${at}/`)
  return nodes.filter((node) => !gone(node.path) && !(node.kind === 'hardlink' && gone(node.target)))
}

/**
 * Shrinks a failing case: drops Dockerfile lines, flags, edits, named-context and context entries,
 * one at a time, keeping each drop after which `stillFails` holds. At most `budget` tries.
 */
export async function reduceCase(
  testCase: DiffCase,
  stillFails: (candidate: DiffCase) => Promise<boolean>,
  budget = 40,
  log?: (line: string) => void,
): Promise<DiffCase> {
  let best = testCase
  let tries = 0
  const attempt = async (candidate: DiffCase, what: string): Promise<boolean> => {
    if (tries >= budget) return false
    tries++
    const fails = await stillFails(candidate)
    log?.(`reduce ${tries}/${budget}: without ${what}: ${fails ? 'still fails, kept' : 'passes, put back'}`)
    if (fails) best = candidate
    return fails
  }
  let progress = true
  while (progress && tries < budget) {
    progress = false
    for (let i = best.dockerfile.length - 1; i >= 1; i--) {
      if (
        await attempt(
          {...best, dockerfile: best.dockerfile.filter((_, j) => j !== i)},
          `Dockerfile line ${JSON.stringify(best.dockerfile[i])}`,
        )
      )
        progress = true
    }
    for (let i = best.args.length - 2; i >= 0; i -= 2) {
      if (
        await attempt({...best, args: best.args.filter((_, j) => j !== i && j !== i + 1)}, `flags ${best.args.slice(i, i + 2).join(' ')}`)
      )
        progress = true
    }
    if (best.edits && (await attempt({...best, edits: undefined}, 'the edits'))) progress = true
    for (const name of Object.keys(best.namedContexts ?? {})) {
      for (const node of [...(best.namedContexts?.[name] ?? [])].reverse()) {
        const nodes = best.namedContexts?.[name] ?? []
        if (!nodes.includes(node)) continue
        if (
          await attempt(
            {...best, namedContexts: {...best.namedContexts, [name]: withoutNode(nodes, node.path)}},
            `${name}:${JSON.stringify(node.path)}`,
          )
        )
          progress = true
      }
    }
    for (const node of [...best.context].reverse()) {
      if (node.path === (best.dockerfilePath ?? 'Dockerfile') || !best.context.includes(node)) continue
      const context = withoutNode(best.context, node.path)
      const edits = best.edits?.filter((edit) => context.some((kept) => kept.path === edit.path))
      if (await attempt({...best, context, edits: edits?.length ? edits : undefined}, JSON.stringify(node.path))) progress = true
    }
  }
  return {...best, id: `${testCase.id} reduced`}
}

/** A case as TypeScript source for fixed-cases.ts. */
export function caseSource(testCase: DiffCase): string {
  return JSON.stringify(testCase, null, 2)
}
