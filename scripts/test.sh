#!/bin/sh
# Runs the Check suites (each given binary) against a throwaway PostgreSQL
# made here and removed afterwards, whatever happens.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d /tmp/redress-test.XXXXXX)
chmod 755 "$tmp"
[ "$(id -u)" -eq 0 ] && chown postgres "$tmp"
pg="$root/scripts/pg.sh"
cleanup() {
  "$pg" stop "$tmp/data" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

"$pg" init "$tmp/data"
# Durability is not under test here; speed is welcome.
start_args="$tmp/data $tmp $tmp/postgres.log fsync=off max_connections=200"
# shellcheck disable=SC2086
"$pg" start $start_args
cat > "$tmp/ctl" <<CTL
#!/bin/sh
# Lets integration tests stop and restart the database under the service.
case "\$1" in
  stop) exec "$pg" stop "$tmp/data" ;;
  start) exec "$pg" start $start_args ;;
esac
CTL
chmod +x "$tmp/ctl"

export REDRESS_TEST_ADMIN_URL="host=$tmp port=5432 dbname=postgres user=postgres"
export REDRESS_TEST_PG_CTL="$tmp/ctl"
export REDRESS_TEST_ROOT="$root"
export REDRESS_TEST_CAPTURE="$tmp/responses.jsonl"
: > "$REDRESS_TEST_CAPTURE"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

failed=0
for suite in "$@"; do
  echo "== $suite"
  # the CLI tests run the binary built alongside the suite
  export REDRESS_TEST_BINARY="$(dirname "$(dirname "$suite")")/redress"
  if ! "$suite"; then
    failed=$((failed + 1))
    echo "== FAILED: $suite (PostgreSQL log follows)"
    tail -n 20 "$tmp/postgres.log" || true
  fi
done

[ "$failed" -eq 0 ] && echo "all $# test binaries passed" || echo "$failed of $# test binaries failed"
# Every response the suites saw, against the spec.
echo "== openapi.yaml against $(wc -l < "$REDRESS_TEST_CAPTURE") responses"
"$root/scripts/openapi.sh" validate "$REDRESS_TEST_CAPTURE" || failed=$((failed + 1))
[ "$failed" -eq 0 ]
