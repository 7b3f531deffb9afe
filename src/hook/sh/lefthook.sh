#!/bin/sh
# dbuild-hook @fingerprint@ @hook@
# Added by `dbuild hook install` for lefthook, removed by `dbuild hook uninstall`; install rewrites it.
# Gives the files git just wrote canonical modes, so docker build contexts checksum the same under
# every umask. It never fails the git command. DBUILD_HOOK=0 turns it off.
(
@program@
)
exit 0
