dbuild_changed() {
  case $1 in
    *[!0]*) ;;
    *) dbuild_full; return ;; # no previous HEAD: clone, worktree add
  esac
  if [ "$3" = 0 ]; then
    if [ -n "$dbuild_since" ] && dbuild_list=$(dbuild_recent "$dbuild_since"); then
      printf '%s\n' "$dbuild_list" | tr '\n' '\0'
    else
      dbuild_full
    fi
    return
  fi
  git diff-tree -r -z --name-only --no-commit-id "$1" "$2"
}
