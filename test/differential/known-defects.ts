/**
 * Defect classes known and being fixed elsewhere: while `fixed` is false, the budgeted test
 * reports a failing case of that class as a todo naming it instead of failing. The generator keeps
 * producing them (npm run fuzz shows them as failures either way). Set `fixed` when the fix is on
 * main; a class whose fix has landed must not stay here unfixed.
 */
export interface KnownDefect {
  /** The helper fixing it. */
  owner: string
  what: string
  fixed: boolean
}

export const KNOWN_DEFECTS: Readonly<Record<string, KnownDefect>> = {
  'stale-stage': {owner: 'stage', what: 'a same-size edit with its mtime carried over builds the stale file', fixed: true},
  hardlink: {owner: 'stage', what: 'hard links are staged as copies', fixed: true},
  sparse: {owner: 'stage', what: 'sparse files', fixed: true},
  'chown-name-colon': {owner: 'rules', what: '--chown=name: takes the wrong gid', fixed: true},
  'big-id': {owner: 'rules', what: 'ids of 2^31 and more in --chown', fixed: true},
  exclude: {owner: 'rules', what: 'exclude-root on buildx versions it does not know', fixed: true},
  'quote-name': {owner: 'rules', what: 'quotes in names', fixed: true},
  concurrent: {owner: 'cli', what: 'concurrent builds share one rewritten Dockerfile', fixed: true},
}

import type {DiffCase} from './cases.js'
import type {Failure} from './runner.js'

/** The unfixed known classes among a case's classes. */
export function knownUnfixed(classes: readonly string[]): string[] {
  return classes.filter((name) => KNOWN_DEFECTS[name] && !KNOWN_DEFECTS[name].fixed)
}

const isUnfixed = (name: string): boolean => KNOWN_DEFECTS[name]?.fixed === false

/** The path a difference line names (its JSON-quoted start), as shown. */
const pathOf = (line: string): string => /^("(?:[^"\\]|\\.)*")/.exec(line)?.[1] ?? ''

/**
 * The known, unfixed class that accounts for one difference line of a failure, if any: a difference
 * is blamed on a class only where its own shape says so (a hard-link line, an owner line of a case
 * spelling --chown that way, a sparse file's content, a build after same-size edits, a concurrent
 * round), so a known class in a case never hides a new defect beside it.
 */
function classFor(line: string, failure: Failure, testCase: DiffCase): string | undefined {
  const has = (name: string): boolean => testCase.classes.includes(name) && isUnfixed(name)
  if (line.includes(': hard links ') && has('hardlink')) return 'hardlink'
  if (/: owner /.test(line)) return ['chown-name-colon', 'big-id'].find(has)
  if (failure.phase === 'concurrent' && has('concurrent')) return 'concurrent'
  if (failure.phase === 'after edits' && has('stale-stage')) return 'stale-stage'
  const shown = pathOf(line)
  const quoted = (node: {path: string}): string =>
    JSON.stringify(Buffer.from(node.path.split('/').pop() ?? '', 'latin1').toString('utf8')).slice(1)
  const sparse = testCase.context.concat(...Object.values(testCase.namedContexts ?? {})).filter((node) => node.kind === 'sparse')
  if (has('sparse') && sparse.some((node) => shown.endsWith(`/${quoted(node)}`) || shown === `"${quoted(node)}`)) return 'sparse'
  if (has('quote-name') && /\\"|'/.test(shown)) return 'quote-name'
  if (line.startsWith('plain buildx succeeded, dbuild failed')) return knownUnfixed(testCase.classes)[0]
  return undefined
}

/** Splits a case's failures into the differences known classes account for, by class, and the rest. */
export function triage(failures: Failure[], testCase: DiffCase): {known: Map<string, number>; rest: Failure[]} {
  const known = new Map<string, number>()
  const rest: Failure[] = []
  for (const failure of failures) {
    const unexplained = failure.differences.filter((line) => {
      const name = classFor(line, failure, testCase)
      if (name) known.set(name, (known.get(name) ?? 0) + 1)
      return !name
    })
    if (unexplained.length > 0) rest.push({...failure, differences: unexplained})
  }
  return {known, rest}
}
