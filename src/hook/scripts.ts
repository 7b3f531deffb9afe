/**
 * The git hooks as data: POSIX sh text that needs only sh, git, xargs, find, tr, awk and chmod (GUI git
 * clients often run hooks without node on PATH).
 *
 * What a hook does: the files git just wrote get canonical modes (src/mode-policy.ts: the `find`
 * expression is generated from it) and the directories holding them too, so that a build context
 * checksums the same under every umask. Only paths whose mode differs are chmod-ed: chmod updates
 * ctime, and touching every file would make the next `git status` re-read the whole tree. When any
 * path was chmod-ed, git's index is refreshed, or the next `git reset --hard` would rewrite those files.
 *
 * The same program runs in three wrappers: a hook file in git's hooks directory (chaining a foreign
 * hook), a guarded block in husky's committed `.husky/<hook>`, and a script lefthook runs. Each is
 * fingerprinted by a hash of its text, so `hook status` tells an outdated or edited copy from the current one.
 *
 * Exit status: dbuild's own part never fails the git command (it warns on stderr and counts as success).
 * A chained foreign hook keeps its exit status, because git uses post-checkout's status as the exit status
 * of checkout/switch/clone/worktree add; post-merge's and post-rewrite's are ignored by git. Installing
 * dbuild therefore never changes what a command's exit status was before.
 */
import {createHash} from 'node:crypto'

import {fixModesFind} from '../mode-policy.js'
import {fillSh, shFile} from './sh-files.js'

/** The fingerprint that marks a hook file (or a block in one) as dbuild's. */
export const HOOK_MARKER = '# dbuild-hook'

export const HOOK_NAMES = ['post-checkout', 'post-merge', 'post-rewrite'] as const
export type HookName = (typeof HOOK_NAMES)[number]

/** Suffix under which a foreign hook is kept, next to dbuild's, while it is chained. */
export const CHAINED_SUFFIX = '.dbuild-chained'

/** The hash of a text that follows a marker line: what the marker's fingerprint must say. */
export function fingerprint(body: string): string {
  return createHash('sha256').update(body).digest('hex').slice(0, 12)
}

/** The fingerprint a marker line declares (`# dbuild-hook <fingerprint> <hook>`; `v1` from dbuild ≤ 0.1), or undefined. */
export function hookVersion(text: string): string | undefined {
  return /^# (?:>>> )?dbuild-hook (v\d+|[0-9a-f]{12})\b/m.exec(text)?.[1]
}

/**
 * The sh itself lives in src/hook/sh/, one file per piece, with `@name@` placeholders this module
 * fills (sh-files.ts reads them):
 *   - modes-program.sh: the program every wrapper runs, with git's hook arguments as "$@". It exits 0
 *     whatever happens (run it in a subshell); a failure is one line on stderr. It keeps a stamp (epoch
 *     seconds at its start) in the git directory, which a later file checkout compares git's index with.
 *     Up to 200 chmod-ed files, it refreshes their index entries alone rather than the whole index.
 *   - select.sh: reads NUL-separated repo-relative paths (as xargs arguments) and prints, NUL-separated,
 *     `./path` for each regular file present (deleted, sparse, submodule and symlink-to-nothing paths
 *     are skipped; "." is kept for the work tree's top) and `./dir` for every directory above it. The
 *     `./` keeps names starting with `-`, `!` or `(` from being read as find operators. Consecutive
 *     files in one directory (git lists them sorted) emit it once.
 *   - fix.sh: chmods the listed paths whose mode differs from the canonical one and prints each changed
 *     path; its find operators come from the mode policy (fixModesFind). find's -prune keeps it from
 *     descending; symlinks are never followed. With no paths find would walk ".", hence the guard.
 *   - recent.sh: the tracked paths whose index stat data is newer than `$1` (epoch seconds), one a line,
 *     from git's own listing (`ls-files --debug`: each path, NUL-ended, then five indented stat lines).
 *     git refreshes the stat data of every file it writes, so after a file checkout this lists what it
 *     wrote (and what else was touched since the last hook ran), without an lstat of the whole tree.
 *     Exits 3 on a name with a newline, which the caller answers with a full pass. awk runs in the C
 *     locale: names are bytes, and an awk that reads text as UTF-8 could change a name that is not
 *     (byte 0xff) on its way through.
 *   - changed-<hook>.sh: how each hook lists the paths git wrote, NUL-separated, on stdout (below).
 *   - rebase-guard.sh: post-checkout only; inside a rebase git keeps its index in memory, and
 *     post-rewrite covers what the rebase wrote.
 *   - hook.sh and lefthook.sh: the whole file in git's hooks directory (chaining a foreign hook) and the
 *     script lefthook runs; their second line is the marker (HOOK_MARKER), fingerprinted by what follows.
 */

/**
 * fix.sh with the mode policy's find operators: chmods the listed paths whose mode differs from the
 * canonical one and prints each changed path (exported for the test that runs it against the policy).
 */
export function fixProgram(): string {
  return fillSh(shFile('fix.sh'), {find_operators: fixModesFind()})
}

/**
 * How each hook lists the paths git wrote ("full" means every tracked path):
 *   - post-checkout: $1 old HEAD, $2 new HEAD, $3 = 1 for a branch checkout, 0 for a file checkout
 *     (paths not given: the files git refreshed in the index since the last run, else a full pass).
 *   - post-merge: $1 = 1 for a squash merge. ORIG_HEAD is HEAD before the merge; comparing it with the
 *     index covers fast-forward, true and squash merges alike.
 *   - post-rewrite: $1 = amend | rebase. A rebase writes the files that differ between ORIG_HEAD and
 *     HEAD and, on the way, those each replayed commit changed (a file may be rewritten and end up as it
 *     was, so the end-to-end diff alone misses it). The replayed commits are among HEAD ^ORIG_HEAD;
 *     reading them from git rather than from stdin leaves stdin to whatever runs after (a chained or
 *     husky hook). An amend writes nothing.
 */
const CHANGED_FILE: Record<HookName, string> = {
  'post-checkout': 'changed-post-checkout.sh',
  'post-merge': 'changed-post-merge.sh',
  'post-rewrite': 'changed-post-rewrite.sh',
}

/** A condition under which git wrote nothing, checked before any process is started. */
const WROTE_NOTHING: Record<HookName, string> = {
  'post-checkout': '[ "$3" != 0 ] && [ "$1" = "$2" ]', // a branch checkout of the same commit
  'post-merge': 'false',
  'post-rewrite': '[ "$1" != rebase ]', // amend
}

/** The program every wrapper runs (modes-program.sh, filled for one hook). */
export function modesProgram(name: HookName): string {
  return fillSh(shFile('modes-program.sh'), {
    hook: name,
    wrote_nothing: WROTE_NOTHING[name],
    rebase_guard: name === 'post-checkout' ? shFile('rebase-guard.sh') : '',
    recent: shFile('recent.sh'),
    changed: shFile(CHANGED_FILE[name]),
    select: shFile('select.sh'),
    fix: fixProgram(),
  })
}

/** A whole script (hook.sh, lefthook.sh) for `name`: its marker line carries the fingerprint of what follows it. */
function markedScript(file: string, name: HookName): string {
  const template = shFile(file)
  const bodyStart = template.indexOf('\n', template.indexOf('\n') + 1) + 1
  const body = `${fillSh(template.slice(bodyStart), {hook: name, chained_suffix: CHAINED_SUFFIX, program: modesProgram(name)})}\n`
  return fillSh(template.slice(0, bodyStart), {fingerprint: fingerprint(body), hook: name}) + body
}

/** The complete text of one hook file in git's hooks directory. */
export function hookScript(name: HookName): string {
  return markedScript('hook.sh', name)
}

/** The fingerprint the current hook file for `name` carries. */
export function currentFingerprint(name: HookName): string {
  return hookVersion(hookScript(name)) ?? ''
}

/** The script lefthook runs (`sh <script> <git's arguments>`), for `dbuild hook install` with lefthook. */
export function lefthookScript(name: HookName): string {
  return markedScript('lefthook.sh', name)
}

/** The fingerprint the current lefthook script for `name` carries. */
export function currentLefthookFingerprint(name: HookName): string {
  const text = lefthookScript(name)
  return hookVersion(text) ?? ''
}
