/**
 * The git hooks as data: POSIX sh text that needs only sh, git, xargs, find and chmod (GUI git clients
 * often run hooks without node on PATH).
 *
 * What a hook does: the files git just wrote get canonical modes (0755 when git wrote them executable,
 * which it does exactly for index mode 100755, else 0644) and the directories holding them 0755, so that
 * a build context checksums the same under every umask. Only paths whose mode differs are chmod-ed:
 * chmod updates ctime, and touching every file would make the next `git status` re-read the whole tree.
 *
 * Exit status: dbuild's own part never fails the git command (it warns on stderr and counts as success).
 * A chained foreign hook keeps its exit status, because git uses post-checkout's status as the exit status
 * of checkout/switch/clone/worktree add; post-merge's and post-rewrite's are ignored by git. Installing
 * dbuild therefore never changes what a command's exit status was before.
 */

/** Bumped when the script text changes; `hook status` reports older installs as outdated. */
export const HOOK_VERSION = 1

/** The fingerprint line that marks a hook file as dbuild's. */
export const HOOK_MARKER = '# dbuild-hook'

export const HOOK_NAMES = ['post-checkout', 'post-merge', 'post-rewrite'] as const
export type HookName = (typeof HOOK_NAMES)[number]

/** Suffix under which a foreign hook is kept, next to dbuild's, while it is chained. */
export const CHAINED_SUFFIX = '.dbuild-chained'

/** The fingerprint of a hook file's text: dbuild's version, or undefined for a foreign hook. */
export function hookVersion(text: string): number | undefined {
  const match = /^# dbuild-hook v(\d+)\b/m.exec(text)
  return match?.[1] === undefined ? undefined : Number(match[1])
}

/**
 * Reads NUL-separated repo-relative paths (as xargs arguments) and prints, NUL-separated, `./path` for
 * each regular file present (deleted, sparse, submodule and symlink-to-nothing paths are skipped; "." is
 * kept for the work tree's top) and
 * `./dir` for every directory above it. The `./` keeps names starting with `-`, `!` or `(` from being
 * read as find operators. Consecutive files in one directory (git lists them sorted) emit it once.
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
 * chmods the listed paths whose mode differs from the canonical one. find's -prune keeps it from
 * descending; symlinks are never followed. 00755 also clears setgid on directories (GNU chmod keeps it
 * for plain 755). With no paths find would walk ".", hence the guard.
 */
const FIX = `[ $# -gt 0 ] || exit 0
exec find "$@" -prune \\( \\( -type d -o -type f -perm -100 \\) ! -perm 755 -exec chmod 00755 {} + \\) -o \\( -type f ! -perm -100 ! -perm 644 -exec chmod 0644 {} + \\)`

/** How each hook lists the paths git wrote, NUL-separated, on stdout; "full" means every tracked path. */
const CHANGED: Record<HookName, string> = {
  // $1 old HEAD, $2 new HEAD, $3 = 1 for a branch checkout, 0 for a file checkout (paths unknown).
  'post-checkout': `dbuild_changed() {
  case $1 in
    *[!0]*) ;;
    *) dbuild_full; return ;; # no previous HEAD: clone, worktree add
  esac
  if [ "$3" = 0 ]; then dbuild_full; return; fi
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
  // $1 = amend | rebase; stdin holds "old new [extra]" lines. A rebase writes the files that differ
  // between ORIG_HEAD and HEAD and, on the way, those each replayed commit changed (a file may be
  // rewritten and end up as it was, so the end-to-end diff alone misses it). An amend writes nothing.
  'post-rewrite': `dbuild_changed() {
  if git rev-parse -q --verify ORIG_HEAD >/dev/null; then
    git diff-tree -r -z --name-only --no-commit-id ORIG_HEAD HEAD
  fi
  printf '%s\\n' "$dbuild_input" | while read -r _old dbuild_new _rest; do
    [ -n "$dbuild_new" ] && printf '%s\\n' "$dbuild_new"
  done | git diff-tree --stdin -r -z --name-only --no-commit-id --root
}`,
}

/** A condition under which git wrote nothing, checked before any process is started. */
const WROTE_NOTHING: Record<HookName, string> = {
  'post-checkout': '[ "$3" != 0 ] && [ "$1" = "$2" ]', // a branch checkout of the same commit
  'post-merge': 'false',
  'post-rewrite': '[ "$1" != rebase ]', // amend
}

/** The complete text of one hook file. */
export function hookScript(name: HookName): string {
  const readsStdin = name === 'post-rewrite'
  return `#!/bin/sh
${HOOK_MARKER} v${HOOK_VERSION} ${name}
# Installed by \`dbuild hook install\`, removed by \`dbuild hook uninstall\`; install rewrites this file.
# Gives the files git just wrote canonical modes (0755 if executable, else 0644; directories 0755), so
# docker build contexts checksum the same under every umask. DBUILD_HOOK=0 turns it off.
# It never fails the git command; a chained foreign hook (${name}${CHAINED_SUFFIX}) runs after it
# with the same arguments, stdin and $0, and its exit status is passed through.

case $0 in */*) dbuild_dir=\${0%/*} ;; *) dbuild_dir=. ;; esac
dbuild_chained="$dbuild_dir/${name}${CHAINED_SUFFIX}"
${readsStdin ? 'dbuild_input=$(cat)\n' : ''}
dbuild_full() {
  printf '.\\0'
  git ls-files -z
}

${CHANGED[name]}

dbuild_select='${SELECT}'

dbuild_fix='${FIX}'

if [ "\${DBUILD_HOOK:-1}" != 0 ] && ! { ${WROTE_NOTHING[name]}; }; then
  if ! (dbuild_changed "$@" | xargs -0 sh -c "$dbuild_select" sh | xargs -0 sh -c "$dbuild_fix" sh); then
    echo "dbuild hook (${name}): could not set canonical file modes; run 'dbuild normalize' (DBUILD_HOOK=0 turns this hook off)" >&2
  fi
fi

if [ -x "$dbuild_chained" ]; then
  # An sh hook is sourced with $0 still naming this hook: hook managers (husky's .husky/_/h) find their
  # scripts from $0. Anything else is run as it is.
  dbuild_shebang=
  read -r dbuild_shebang < "$dbuild_chained"
  case $dbuild_shebang in
    '#!/bin/sh' | '#!/usr/bin/env sh') set -- sh -c '. "$0${CHAINED_SUFFIX}"' "$0" "$@" ;;
    *) set -- "$dbuild_chained" "$@" ;;
  esac
${readsStdin ? `  if [ -n "$dbuild_input" ]; then printf '%s\\n' "$dbuild_input"; fi | "$@"` : '  "$@"'}
  exit $?
fi
exit 0
`
}
