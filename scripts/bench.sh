#!/bin/sh
# make bench: the service under wrk against pgbench running the same SQL.
#
# Starts a throwaway PostgreSQL (synchronous_commit on, fsync on), seeds
# BENCH_CASES cases over BENCH_BUYERS buyers for one tenant, then
#   1. wrk drives POST /v1/cases (a fresh Idempotency-Key each, random buyers);
#   2. pgbench runs the statements one such request executes, taken by name
#      from service/db/statements.sql, grouped into round trips the same
#      way, with as many connections as the service has.
# The two alternate for BENCH_ROUNDS rounds (so that drift on a shared
# machine hits both); each round prints req/s, p50/p99 and the ratio
# service / pgbench, then the median ratio and the CPU each party used.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
CASES=${BENCH_CASES:-1000000}
BUYERS=${BENCH_BUYERS:-100000}
SECONDS_EACH=${BENCH_SECONDS:-8}
ROUNDS=${BENCH_ROUNDS:-3}
THREADS=${BENCH_THREADS:-4}
CONNECTIONS=${BENCH_CONNECTIONS:-16}
PORT=${BENCH_PORT:-18080}
bindir=$(pg_config --bindir 2>/dev/null || ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
[ -x "$bindir/pgbench" ] || bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

tmp=$(mktemp -d /tmp/redress-bench.XXXXXX)
chmod 755 "$tmp"
[ "$(id -u)" -eq 0 ] && chown postgres "$tmp"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  scripts/pg.sh stop "$tmp/data" 2>/dev/null || true
  [ -n "${BENCH_KEEP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

scripts/pg.sh init "$tmp/data"
extra=""
[ -n "${BENCH_STATEMENTS:-}" ] && extra="shared_preload_libraries=pg_stat_statements pg_stat_statements.track_planning=on"
scripts/pg.sh start "$tmp/data" "$tmp" "$tmp/postgres.log" synchronous_commit=on shared_buffers=256MB max_connections=100 $extra
psql_admin() { psql -X -q -h "$tmp" -p 5432 -U postgres -d postgres -tA "$@"; }
psql_admin -c "CREATE DATABASE redress_bench"
export REDRESS_DATABASE_URL="host=$tmp port=5432 dbname=redress_bench user=postgres"
psql_bench() { psql -X -q -h "$tmp" -p 5432 -U postgres -d redress_bench -tA "$@"; }
build/redress migrate 2>/dev/null
[ -n "${BENCH_STATEMENTS:-}" ] && psql_bench -c "CREATE EXTENSION pg_stat_statements"
# BENCH_STATEMENTS=1: where PostgreSQL spends its time, per phase
statements() {
  [ -n "${BENCH_STATEMENTS:-}" ] || return 0
  echo "  $1, by total time:"
  psql_bench -c "SELECT rpad(left(regexp_replace(query, '\s+', ' ', 'g'), 50), 50), calls,
                        round(mean_exec_time::numeric, 3) AS exec_ms, round(mean_plan_time::numeric, 3) AS plan_ms,
                        shared_blks_hit / greatest(calls, 1) AS hits_per_call
                 FROM pg_stat_statements WHERE calls > 100 ORDER BY total_exec_time + total_plan_time DESC LIMIT 8" |
    sed 's/^/    /'
  psql_bench -c "SELECT pg_stat_statements_reset()" >/dev/null
}
key=$(build/redress apikey create --tenant bench 2>/dev/null | tail -n 1)
tenant_id=$(psql_bench -c "SELECT id FROM tenants WHERE name = 'bench'")

echo "seeding $CASES cases over $BUYERS buyers..."
psql_bench <<SQL
INSERT INTO buyers (tenant_id, buyer_id) SELECT $tenant_id, 'B' || g FROM generate_series(1, $BUYERS) g;
INSERT INTO cases (tenant_id, case_id, buyer_id, order_id, sku, channel, category, responsibility, tier,
                   primary_action, currency, refund_amount, order_value, remedy_cost, full_return_cost, risk,
                   request, decision, created_at)
SELECT $tenant_id, gen_random_uuid(), 'B' || (1 + g % $BUYERS), 'O' || g, 'SKU-' || (g % 300), 'amazon',
       (ARRAY['minor_defect','late_delivery','damaged_in_transit','defective','changed_mind'])[1 + g % 5],
       'seller', 'goodwill', 'partial_refund', 'USD', 780, 3098, 780, 3618, 'low', '{}', '{}',
       now() - (g % 400) * interval '1 day'
FROM generate_series(1, $CASES) g;
SQL
# Settle the seeded tables first, so that autovacuum does not run during
# whichever side is measured first.
psql_bench -c "VACUUM (ANALYZE)"
psql_bench -c "CHECKPOINT"

# ---- the service ----
# One tenant at full speed: the per-tenant rate limit is not what is measured.
REDRESS_PORT=$PORT REDRESS_THREADS=$THREADS REDRESS_LOG_LEVEL=warn REDRESS_RATE_LIMIT_PER_SECOND=0 build/redress serve 2>"$tmp/serve.log" &
server_pid=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
# One real request and its real response: pgbench stores the same sizes.
sample_request='{"channel":"amazon","order":{"order_id":"113-1234567-1234567","sku":"SKU-1","currency":"USD","item_price":2599,"shipping_paid":499,"delivered_at":"2026-11-05T16:00:00Z"},"buyer":{"buyer_id":"B1","name":"Jane","language":"en"},"issue":{"category":"minor_defect"}}'
curl -sf -H "Authorization: Bearer $key" -H "Content-Type: application/json" -d "$sample_request" \
  "http://127.0.0.1:$PORT/v1/cases" > "$tmp/sample_response.json"

# ---- pgbench's script: the same statements from statements.sql ----
# statement NAME VAR1 VAR2 ...: the named statement with $1.. as :VAR1..
statement() {
  name=$1; shift
  sql=$(awk -v want="-- name: $name" '
        $0 == want { on = 1; next }
        /^-- name: / { on = 0 }
        on && !/^--/ && NF { print }' service/db/statements.sql)
  n=$#
  while [ "$n" -ge 1 ]; do
    eval "var=\${$n}"
    sql=$(printf '%s' "$sql" | sed "s/\\\$$n\\([^0-9]\\|\$\\)/:$var\\1/g")
    n=$((n - 1))
  done
  printf '%s\n' "$sql"
}
# Grouped into round trips as the service sends them: BEGIN, the key's
# claim, the buyer's lock and history in one pipeline; the insert and
# COMMIT in another (db.c, cases.c). API keys are cached by the service.
# The first line only makes this run's values (a fresh key, a random buyer).
{
  printf '%s\n' "\\set buyer_n random(1, $BUYERS)"
  printf '%s\n' "SELECT 'B' || :buyer_n AS buyer, gen_random_uuid() AS cid \\gset"
  printf '%s\n' '\startpipeline' 'BEGIN ISOLATION LEVEL READ COMMITTED;'
  statement idempotency_claim tenant cid
  statement buyer_lock tenant buyer
  statement buyer_history tenant buyer category currency
  statement cost_settings tenant sku
  statement policy_current tenant policy_version
  printf '%s\n' '\endpipeline' '\startpipeline'
  statement case_insert tenant cid buyer order_id sku channel category resp tier primary currency refund \
            order_value cost full_return risk req decision created_at cid hash policy_version inputs
  printf '%s\n' 'COMMIT;' '\endpipeline'
} > "$tmp/case.pgbench"

cpu_of() { # CPU seconds (user+system) of the processes named $1
  for p in $(pgrep -x "$1"); do awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null; done |
    awk -v hz="$(getconf CLK_TCK)" '{ s += $1 } END { printf "%.2f", s / hz }'
}
percentile() { # percentile P of the numbers in file F (microseconds) as ms
  sort -n "$2" | awk -v p="$1" '{ v[NR] = $1 } END { if (NR) printf "%.2fms", v[int(NR * p) + 1] / 1000 }'
}

echo "$ROUNDS rounds of ${SECONDS_EACH}s each: wrk ($CONNECTIONS connections, $THREADS service threads), then pgbench ($THREADS connections)"
printf '%-6s %12s %10s %10s   %12s %10s %10s   %6s\n' round "service r/s" p50 p99 "pgbench t/s" p50 p99 ratio
: > "$tmp/ratios"; svc_cpu=0; svc_pg_cpu=0; svc_n=0; bench_pg_cpu=0; bench_n=0
for round in $(seq 1 "$ROUNDS"); do
  # the service under wrk
  pg0=$(cpu_of postgres); s0=$(cpu_of redress); n0=$(psql_bench -c "SELECT count(*) FROM cases")
  BENCH_KEY="$key" BENCH_BUYERS="$BUYERS" wrk -t 2 -c "$CONNECTIONS" -d "${SECONDS_EACH}s" --latency -s "$root/tests/bench/post_case.lua" "http://127.0.0.1:$PORT" > "$tmp/wrk.txt"
  n1=$(psql_bench -c "SELECT count(*) FROM cases")
  svc_pg_cpu=$(awk -v a="$(cpu_of postgres)" -v b="$pg0" -v c="$svc_pg_cpu" 'BEGIN { print c + a - b }')
  svc_cpu=$(awk -v a="$(cpu_of redress)" -v b="$s0" -v c="$svc_cpu" 'BEGIN { print c + a - b }')
  svc_n=$((svc_n + n1 - n0))
  if grep -q "Non-2xx" "$tmp/wrk.txt"; then echo "wrk saw errors:"; cat "$tmp/wrk.txt"; exit 1; fi
  statements "the service"
  s_rps=$(awk '/Requests\/sec/ { print $2 }' "$tmp/wrk.txt")
  s_p50=$(awk '$1 == "50%" { print $2 }' "$tmp/wrk.txt"); s_p99=$(awk '$1 == "99%" { print $2 }' "$tmp/wrk.txt")

  # pgbench, sampled before it ends (its backends exit with it)
  rm -f "$tmp"/pgbench.*[0-9]
  pg0=$(cpu_of postgres)
  (cd "$tmp" && "$bindir/pgbench" -n -h "$tmp" -p 5432 -U postgres -M prepared -c "$THREADS" -j 2 -T "$SECONDS_EACH" \
    -D tenant="$tenant_id" -D category=minor_defect -D currency=USD -D order_id=113-1234567-1234567 \
    -D sku=SKU-1 -D channel=amazon -D resp=seller -D tier=goodwill -D primary=partial_refund -D refund=780 \
    -D order_value=3098 -D cost=780 -D full_return=3618 -D risk=low -D req="$sample_request" \
    -D decision="$(cat "$tmp/sample_response.json")" -D created_at=2026-11-22T10:00:00Z -D hash='\x00' -D policy_version=1 -D inputs=null \
    -l --log-prefix="$tmp/pgbench" -f "$tmp/case.pgbench" redress_bench > "$tmp/pgbench.txt" 2>&1) &
  pgbench_pid=$!
  sleep $((SECONDS_EACH - 1))
  bench_pg_cpu=$(awk -v a="$(cpu_of postgres)" -v b="$pg0" -v c="$bench_pg_cpu" 'BEGIN { print c + a - b }')
  wait "$pgbench_pid" || { cat "$tmp/pgbench.txt"; exit 1; }
  statements "pgbench"
  p_tps=$(awk '/^tps/ { printf "%.2f", $3; exit }' "$tmp/pgbench.txt")
  bench_n=$(awk -v a="$bench_n" -v t="$p_tps" -v d="$SECONDS_EACH" 'BEGIN { printf "%.0f", a + t * (d - 1) }')
  cat "$tmp"/pgbench.*[0-9] | awk '{ print $3 }' > "$tmp/latencies"
  p_p50=$(percentile 0.50 "$tmp/latencies"); p_p99=$(percentile 0.99 "$tmp/latencies")
  ratio=$(awk -v s="$s_rps" -v p="$p_tps" 'BEGIN { printf "%.2f", s / p }')
  echo "$ratio" >> "$tmp/ratios"
  printf '%-6s %12s %10s %10s   %12s %10s %10s   %6s\n' "$round" "$s_rps" "$s_p50" "$s_p99" "$p_tps" "$p_p50" "$p_p99" "$ratio"
done
median=$(sort -n "$tmp/ratios" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
# The service's own account of its database use over the run.
curl -sf "http://127.0.0.1:$PORT/metrics" | grep '^redress_db' | tr '\n' ' ' | sed 's/^/service database counters: /'; echo
echo
echo "seeded $CASES cases for one tenant; the service recorded $svc_n more, all 2xx"
echo "ratio service / pgbench, median of $ROUNDS rounds: $median (goal: at least 0.80)"
awk -v n="$svc_n" -v s="$svc_cpu" -v p="$svc_pg_cpu" -v q="$bench_pg_cpu" -v m="$bench_n" 'BEGIN {
  printf "CPU per request: service %.0f us + postgres %.0f us; per pgbench transaction: postgres %.0f us\n",
         s / n * 1e6, p / n * 1e6, q / m * 1e6 }'
