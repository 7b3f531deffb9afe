#!/bin/sh
# "Compiles" the greeting: the expensive step runs this.
set -eu
printf '%s\n' "$(cat /app/src/greeting.txt)"
