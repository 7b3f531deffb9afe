[ $# -gt 0 ] || exit 0
exec find "$@" -prune @find_operators@
