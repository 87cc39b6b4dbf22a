#!/bin/sh
# Runs the Check suites (each given binary) against a throwaway PostgreSQL
# made here and removed afterwards, whatever happens.
set -eu
. "$(dirname "$0")/pg-throwaway.sh"
root=$pg_throwaway_root
pg_throwaway_start test

export REDRESS_TEST_ROOT="$root"
export REDRESS_TEST_CAPTURE="$pg_tmp/responses.jsonl"
: > "$REDRESS_TEST_CAPTURE"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$root/tests/lsan.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

failed=0
for suite in "$@"; do
  echo "== $suite"
  # the CLI tests run the binary built alongside the suite
  export REDRESS_TEST_BINARY="$(dirname "$(dirname "$suite")")/redress"
  if ! "$suite"; then
    failed=$((failed + 1))
    echo "== FAILED: $suite (PostgreSQL log follows)"
    pg_throwaway_log_tail 20
  fi
done

[ "$failed" -eq 0 ] && echo "all $# test binaries passed" || echo "$failed of $# test binaries failed"
# Every response the suites saw, against the spec.
echo "== openapi.yaml against $(wc -l < "$REDRESS_TEST_CAPTURE") responses"
"$root/scripts/openapi.sh" validate "$REDRESS_TEST_CAPTURE" || failed=$((failed + 1))
[ "$failed" -eq 0 ]
