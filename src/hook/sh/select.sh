last=
for p do
  [ -f "$p" ] || [ "$p" = . ] || continue
  printf "./%s\0" "$p"
  d=${p%/*}
  [ "$d" = "$p" ] && continue
  [ "$d" = "$last" ] && continue
  last=$d
  while :; do
    printf "./%s\0" "$d"
    case $d in */*) d=${d%/*} ;; *) break ;; esac
  done
done
