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
  'stale-stage': {owner: 'stage', what: 'a same-size edit with its mtime carried over builds the stale file', fixed: false},
  'hardlink': {owner: 'stage', what: 'hard links are staged as copies', fixed: false},
  'sparse': {owner: 'stage', what: 'sparse files', fixed: false},
  'chown-name-colon': {owner: 'rules', what: '--chown=name: takes the wrong gid', fixed: false},
  'big-id': {owner: 'rules', what: 'ids of 2^31 and more in --chown', fixed: false},
  'exclude': {owner: 'rules', what: 'exclude-root on buildx versions it does not know', fixed: false},
  'quote-name': {owner: 'rules', what: 'quotes in names', fixed: false},
  'concurrent': {owner: 'cli', what: 'concurrent builds share one rewritten Dockerfile', fixed: false},
}

/** The unfixed known classes among a case's classes. */
export function knownUnfixed(classes: readonly string[]): string[] {
  return classes.filter((name) => KNOWN_DEFECTS[name] && !KNOWN_DEFECTS[name].fixed)
}
