git ls-files -z --debug | tr '\0' '\n' | LC_ALL=C awk -v since="$1" '
    /^  ctime: [0-9]+:[0-9]+$/ { split($2, t, ":"); if (t[1] + 0 >= since + 0) { if (n > 1) exit 3; print p } n = 0; p = ""; skip = 4; next }
    skip > 0 { skip--; next }
    { p = n ? p "\n" $0 : $0; n++ }
  '
