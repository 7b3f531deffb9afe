dbuild_fail() {
  echo "dbuild hook (@hook@): could not set canonical file modes; run 'dbuild normalize' (DBUILD_HOOK=0 turns this hook off)" >&2
  exit 0
}
[ "${DBUILD_HOOK:-1}" != 0 ] || exit 0
# under umask 022 git writes 0644/0755 files and 0755 directories itself: nothing to do, no process started
[ "$(umask)" != 0022 ] || exit 0
if @wrote_nothing@; then exit 0; fi
dbuild_git=$(git rev-parse --git-dir) || dbuild_fail
@rebase_guard@
dbuild_since=
[ -f "$dbuild_git/dbuild-hook.stamp" ] && read -r dbuild_since < "$dbuild_git/dbuild-hook.stamp"
case $dbuild_since in *[!0-9]*) dbuild_since= ;; esac
awk 'BEGIN { srand(); print srand() }' > "$dbuild_git/dbuild-hook.stamp" 2>/dev/null

dbuild_full() {
  printf '.\0'
  git ls-files -z
}

dbuild_recent() {
  @recent@
}

@changed@

dbuild_select='@select@'

dbuild_fix='@fix@'

dbuild_fixed="$dbuild_git/dbuild-hook.fixed"
dbuild_changed "$@" | xargs -0 sh -c "$dbuild_select" sh | xargs -0 sh -c "$dbuild_fix" sh > "$dbuild_fixed" || dbuild_fail
if [ -s "$dbuild_fixed" ]; then
  # chmod changed ctime: refresh the index, or the next reset --hard rewrites these files under the umask.
  # A few files: only their entries (git add --refresh stats just what the pathspecs match, and
  # matching costs entries x pathspecs); many: the whole index in one pass.
  if [ "$(tr -cd '\000' < "$dbuild_fixed" | wc -c)" -le 200 ]; then
    xargs -0 git --literal-pathspecs add --refresh -- < "$dbuild_fixed" >/dev/null 2>&1
  else
    git update-index -q --refresh >/dev/null 2>&1
  fi
fi
: > "$dbuild_fixed" # emptied, not removed: one process less
exit 0
