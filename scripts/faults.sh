#!/bin/sh
# make faults: each fault program (BUILD/faults/fault_*) in turn against a
# throwaway PostgreSQL, with the service binary BUILD/redress. Loopback
# only; every program stops by itself and is killed at FAULT_SECONDS
# (default 300) if it has not. Ends with "N passed, N failed".
#   scripts/faults.sh BUILD [PROGRAM...]   (default: every program built)
set -eu
. "$(dirname "$0")/pg-throwaway.sh"
build=$1
shift
[ $# -gt 0 ] || set -- "$build"/faults/fault_*
pg_throwaway_start faults

export REDRESS_FAULT_BINARY="$(cd "$build" && pwd)/redress"
export REDRESS_FAULT_TMP="$pg_tmp"
limit=${FAULT_SECONDS:-300}

passed=0 failed=0
for program in "$@"; do
  name=$(basename "$program")
  echo "== $name"
  start=$(date +%s)
  if timeout -s KILL "$limit" "$program"; then
    passed=$((passed + 1))
    echo "== $name passed in $(( $(date +%s) - start ))s"
  else
    failed=$((failed + 1))
    echo "== FAILED: $name after $(( $(date +%s) - start ))s (PostgreSQL log follows)"
    pg_throwaway_log_tail 20
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
