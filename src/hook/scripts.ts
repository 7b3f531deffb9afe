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
 * Reads NUL-separated repo-relative paths (as xargs arguments) and prints, NUL-separated, `./path` for
 * each regular file present (deleted, sparse, submodule and symlink-to-nothing paths are skipped; "." is
 * kept for the work tree's top) and `./dir` for every directory above it. The `./` keeps names starting
 * with `-`, `!` or `(` from being read as find operators. Consecutive files in one directory (git lists
 * them sorted) emit it once.
 */
const SELECT = `last=
for p do
  [ -f "$p" ] || [ "$p" = . ] || continue
  printf "./%s\\0" "$p"
  d=\${p%/*}
  [ "$d" = "$p" ] && continue
  [ "$d" = "$last" ] && continue
  last=$d
  while :; do
    printf "./%s\\0" "$d"
    case $d in */*) d=\${d%/*} ;; *) break ;; esac
  done
done`

/**
 * chmods the listed paths whose mode differs from the canonical one and prints each changed path
 * (exported for the test that runs it against the TypeScript policy).
 * find's -prune keeps it from descending; symlinks are never followed. With no paths find would walk
 * ".", hence the guard.
 */
export const FIX = `[ $# -gt 0 ] || exit 0
exec find "$@" -prune ${fixModesFind()}`

/**
 * The tracked paths whose index stat data is newer than `$1` (epoch seconds), one a line, from git's
 * own listing (`ls-files --debug`: each path, NUL-ended, then five indented stat lines). git refreshes
 * the stat data of every file it writes, so after a file checkout this lists what it wrote (and what
 * else was touched since the last hook ran), without an lstat of the whole tree. Exits 3 on a name with
 * a newline, which the caller answers with a full pass. awk runs in the C locale: names are bytes, and
 * an awk that reads text as UTF-8 could change a name that is not (byte 0xff) on its way through.
 */
const RECENT = `git ls-files -z --debug | tr '\\0' '\\n' | LC_ALL=C awk -v since="$1" '
    /^  ctime: [0-9]+:[0-9]+$/ { split($2, t, ":"); if (t[1] + 0 >= since + 0) { if (n > 1) exit 3; print p } n = 0; p = ""; skip = 4; next }
    skip > 0 { skip--; next }
    { p = n ? p "\\n" $0 : $0; n++ }
  '`

/** How each hook lists the paths git wrote, NUL-separated, on stdout; "full" means every tracked path. */
const CHANGED: Record<HookName, string> = {
  // $1 old HEAD, $2 new HEAD, $3 = 1 for a branch checkout, 0 for a file checkout (paths not given:
  // the files git refreshed in the index since the last run, else a full pass).
  'post-checkout': `dbuild_changed() {
  case $1 in
    *[!0]*) ;;
    *) dbuild_full; return ;; # no previous HEAD: clone, worktree add
  esac
  if [ "$3" = 0 ]; then
    if [ -n "$dbuild_since" ] && dbuild_list=$(dbuild_recent "$dbuild_since"); then
      printf '%s\\n' "$dbuild_list" | tr '\\n' '\\0'
    else
      dbuild_full
    fi
    return
  fi
  git diff-tree -r -z --name-only --no-commit-id "$1" "$2"
}`,
  // $1 = 1 for a squash merge. ORIG_HEAD is HEAD before the merge; comparing it with the index covers
  // fast-forward, true and squash merges alike.
  'post-merge': `dbuild_changed() {
  if git rev-parse -q --verify ORIG_HEAD >/dev/null; then
    git diff-index --cached -r -z --name-only ORIG_HEAD
  else
    dbuild_full
  fi
}`,
  // $1 = amend | rebase. A rebase writes the files that differ between ORIG_HEAD and HEAD and, on the
  // way, those each replayed commit changed (a file may be rewritten and end up as it was, so the
  // end-to-end diff alone misses it). The replayed commits are among HEAD ^ORIG_HEAD; reading them
  // from git rather than from stdin leaves stdin to whatever runs after (a chained or husky hook).
  // An amend writes nothing.
  'post-rewrite': `dbuild_changed() {
  if git rev-parse -q --verify ORIG_HEAD >/dev/null; then
    git diff-tree -r -z --name-only --no-commit-id ORIG_HEAD HEAD
    git rev-list --no-merges HEAD ^ORIG_HEAD | git diff-tree --stdin -r -z --name-only --no-commit-id --root
  fi
}`,
}

/** Up to this many chmod-ed files, the hook refreshes their index entries alone rather than all. */
const REFRESH_PATHS = 200

/** A condition under which git wrote nothing, checked before any process is started. */
const WROTE_NOTHING: Record<HookName, string> = {
  'post-checkout': '[ "$3" != 0 ] && [ "$1" = "$2" ]', // a branch checkout of the same commit
  'post-merge': 'false',
  'post-rewrite': '[ "$1" != rebase ]', // amend
}

/**
 * The program every wrapper runs, with git's hook arguments as "$@". It exits 0 whatever happens (run
 * it in a subshell); a failure is one line on stderr. It keeps a stamp (epoch seconds at its start) in
 * the git directory, which a later file checkout compares git's index with.
 */
export function modesProgram(name: HookName): string {
  return `dbuild_fail() {
  echo "dbuild hook (${name}): could not set canonical file modes; run 'dbuild normalize' (DBUILD_HOOK=0 turns this hook off)" >&2
  exit 0
}
[ "\${DBUILD_HOOK:-1}" != 0 ] || exit 0
# under umask 022 git writes 0644/0755 files and 0755 directories itself: nothing to do, no process started
[ "$(umask)" != 0022 ] || exit 0
if ${WROTE_NOTHING[name]}; then exit 0; fi
dbuild_git=$(git rev-parse --git-dir) || dbuild_fail
${name === 'post-checkout' ? `# inside a rebase, git goes on with its index in memory: a chmod now would make it see local changes.
# post-rewrite covers what the rebase wrote, this checkout included.
if [ -d "$dbuild_git/rebase-merge" ] || [ -d "$dbuild_git/rebase-apply" ]; then exit 0; fi
` : ''}dbuild_since=
[ -f "$dbuild_git/dbuild-hook.stamp" ] && read -r dbuild_since < "$dbuild_git/dbuild-hook.stamp"
case $dbuild_since in *[!0-9]*) dbuild_since= ;; esac
awk 'BEGIN { srand(); print srand() }' > "$dbuild_git/dbuild-hook.stamp" 2>/dev/null

dbuild_full() {
  printf '.\\0'
  git ls-files -z
}

dbuild_recent() {
  ${RECENT}
}

${CHANGED[name]}

dbuild_select='${SELECT}'

dbuild_fix='${FIX}'

dbuild_fixed="$dbuild_git/dbuild-hook.fixed"
dbuild_changed "$@" | xargs -0 sh -c "$dbuild_select" sh | xargs -0 sh -c "$dbuild_fix" sh > "$dbuild_fixed" || dbuild_fail
if [ -s "$dbuild_fixed" ]; then
  # chmod changed ctime: refresh the index, or the next reset --hard rewrites these files under the umask.
  # A few files: only their entries (git add --refresh stats just what the pathspecs match, and
  # matching costs entries x pathspecs); many: the whole index in one pass.
  if [ "$(tr -cd '\\000' < "$dbuild_fixed" | wc -c)" -le ${REFRESH_PATHS} ]; then
    xargs -0 git --literal-pathspecs add --refresh -- < "$dbuild_fixed" >/dev/null 2>&1
  else
    git update-index -q --refresh >/dev/null 2>&1
  fi
fi
: > "$dbuild_fixed" # emptied, not removed: one process less
exit 0`
}

/** Text after the marker line of the hook file: comments, the program and the chaining. */
function hookBody(name: HookName): string {
  return `# Installed by \`dbuild hook install\`, removed by \`dbuild hook uninstall\`; install rewrites this file.
# Gives the files git just wrote canonical modes (0755 if executable, else 0644; directories 0755), so
# docker build contexts checksum the same under every umask. DBUILD_HOOK=0 turns it off.
# It never fails the git command; a chained foreign hook (${name}${CHAINED_SUFFIX}) runs after it
# with the same arguments, stdin and $0, and its exit status is passed through.

(
${modesProgram(name)}
)

case $0 in */*) dbuild_dir=\${0%/*} ;; *) dbuild_dir=. ;; esac
dbuild_chained="$dbuild_dir/${name}${CHAINED_SUFFIX}"
if [ -x "$dbuild_chained" ]; then
  # An sh hook is sourced with $0 still naming this hook: hook managers (husky's .husky/_/h) find their
  # scripts from $0. Anything else is run as it is.
  dbuild_shebang=
  read -r dbuild_shebang < "$dbuild_chained"
  case $dbuild_shebang in
    '#!/bin/sh' | '#!/usr/bin/env sh') set -- sh -c '. "$0${CHAINED_SUFFIX}"' "$0" "$@" ;;
    *) set -- "$dbuild_chained" "$@" ;;
  esac
  "$@"
  exit $?
fi
exit 0
`
}

/** The complete text of one hook file in git's hooks directory. */
export function hookScript(name: HookName): string {
  const body = hookBody(name)
  return `#!/bin/sh\n${HOOK_MARKER} ${fingerprint(body)} ${name}\n${body}`
}

/** The fingerprint the current hook file for `name` carries. */
export function currentFingerprint(name: HookName): string {
  return fingerprint(hookBody(name))
}

/** The script lefthook runs (`sh <script> <git's arguments>`), for `dbuild hook install` with lefthook. */
export function lefthookScript(name: HookName): string {
  const body = `# Added by \`dbuild hook install\` for lefthook, removed by \`dbuild hook uninstall\`; install rewrites it.
# Gives the files git just wrote canonical modes, so docker build contexts checksum the same under
# every umask. It never fails the git command. DBUILD_HOOK=0 turns it off.
(
${modesProgram(name)}
)
exit 0
`
  return `#!/bin/sh\n${HOOK_MARKER} ${fingerprint(body)} ${name}\n${body}`
}

/** The fingerprint the current lefthook script for `name` carries. */
export function currentLefthookFingerprint(name: HookName): string {
  const text = lefthookScript(name)
  return hookVersion(text) ?? ''
}
