#!/bin/sh
# The console's browser tests (tests/console/, run by `make test`): a
# throwaway PostgreSQL, two tenants with a key each, the service on a free
# port, a few hundred cases seeded through the API (tests/console/seed.mjs)
# and spread over 90 days by SQL (the case rollups rebuilt by migration
# 0010's backfill, which is written to be run again), then the node tests
# drive Debian's chromium against it. Screenshots: build/console-shots/.
#   console-test.sh [BINARY]   (default build/redress)
set -eu
. "$(dirname "$0")/pg-throwaway.sh"
root=$pg_throwaway_root
cd "$root"
bin=${1:-build/redress}
tools="$root/tests/console"
if [ ! -d "$tools/node_modules/puppeteer-core" ] || [ "$tools/package-lock.json" -nt "$tools/node_modules/.package-lock.json" ]; then
  (cd "$tools" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
command -v chromium >/dev/null 2>&1 || { echo "console-test: chromium is missing (scripts/deps.sh installs it)" >&2; exit 1; }

pg_throwaway_start console
server_pid=""
stop_server() {
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  pg_throwaway_cleanup
}
trap stop_server EXIT

psql -X -q -v ON_ERROR_STOP=1 -d "$REDRESS_TEST_ADMIN_URL" -c "CREATE DATABASE redress_console" >/dev/null
export REDRESS_DATABASE_URL="host=$pg_tmp port=5432 dbname=redress_console user=postgres"
psql_db() { psql -X -q -v ON_ERROR_STOP=1 -d "$REDRESS_DATABASE_URL" "$@"; }
"$bin" migrate 2>/dev/null
key_a=$("$bin" apikey create --tenant console-a 2>/dev/null | tail -n 1)
key_b=$("$bin" apikey create --tenant console-b 2>/dev/null | tail -n 1)

# A free loopback port: the kernel's pick for a socket bound to port 0.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
REDRESS_PORT=$port REDRESS_LISTEN_ADDR=127.0.0.1 REDRESS_THREADS=4 REDRESS_LOG_LEVEL=warn \
REDRESS_RATE_LIMIT_PER_SECOND=100000 REDRESS_RATE_LIMIT_BURST=100000 \
  "$bin" serve 2>"$pg_tmp/serve.log" &
server_pid=$!
ready=""
for _ in $(seq 1 100); do
  if curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then ready=yes; break; fi
  sleep 0.1
done
[ -n "$ready" ] || { echo "console-test: the service did not start" >&2; tail -n 20 "$pg_tmp/serve.log" >&2; exit 1; }

export REDRESS_URL="http://127.0.0.1:$port" KEY_A="$key_a" KEY_B="$key_b"
node "$tools/seed.mjs"
# Cases as if recorded over the last 90 days (the newest stay recent), then
# the rollups the reports read, rebuilt from the cases as they now are.
psql_db >/dev/null <<'SQL'
UPDATE cases SET created_at = now() - (abs(hashtext(case_id::text)) % (89 * 24 * 60)) * interval '1 minute'
WHERE created_at > now() - interval '1 day';
UPDATE outcomes o SET recorded_at = c.created_at + (2 + abs(hashtext(o.case_id::text || o.revision)) % 30) * interval '1 hour'
FROM cases c WHERE c.tenant_id = o.tenant_id AND c.case_id = o.case_id;
SQL
psql_db -f "$root/migrations/0010_case_rollups_backfill.sql" >/dev/null

export REDRESS_CONSOLE_PSQL="$REDRESS_DATABASE_URL"
export REDRESS_CONSOLE_SHOTS="$root/build/console-shots"
mkdir -p "$REDRESS_CONSOLE_SHOTS"
status=0
node --test --test-concurrency=1 "$tools"/*.test.mjs || status=$?
if [ "$status" -ne 0 ]; then
  echo "== the service's log (last 30 lines)"
  tail -n 30 "$pg_tmp/serve.log"
fi
exit "$status"
