#!/bin/sh
# dbuild-hook @fingerprint@ @hook@
# Installed by `dbuild hook install`, removed by `dbuild hook uninstall`; install rewrites this file.
# Gives the files git just wrote canonical modes (0755 if executable, else 0644; directories 0755), so
# docker build contexts checksum the same under every umask. DBUILD_HOOK=0 turns it off.
# It never fails the git command; a chained foreign hook (@hook@@chained_suffix@) runs after it
# with the same arguments, stdin and $0, and its exit status is passed through.

(
@program@
)

case $0 in */*) dbuild_dir=${0%/*} ;; *) dbuild_dir=. ;; esac
dbuild_chained="$dbuild_dir/@hook@@chained_suffix@"
if [ -x "$dbuild_chained" ]; then
  # An sh hook is sourced with $0 still naming this hook: hook managers (husky's .husky/_/h) find their
  # scripts from $0. Anything else is run as it is.
  dbuild_shebang=
  read -r dbuild_shebang < "$dbuild_chained"
  case $dbuild_shebang in
    '#!/bin/sh' | '#!/usr/bin/env sh') set -- sh -c '. "$0@chained_suffix@"' "$0" "$@" ;;
    *) set -- "$dbuild_chained" "$@" ;;
  esac
  "$@"
  exit $?
fi
exit 0
