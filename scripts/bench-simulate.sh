#!/bin/sh
# make bench-simulate: POST /v1/policy/simulate over BENCH_CASES recorded
# cases of one tenant (default 1,000,000), in windows of a tenth, half and
# all of them; prints cases per second and the service's peak RSS after
# each window (flat: cases are read in pages, only totals are kept).
#
# The cases are real ones: BENCH_SAMPLES decided by the service, then cloned
# by SQL with new ids, spread over a year (no delivery dates, so a clone's
# decision time does not change its decision).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bin=${BENCH_BINARY:-build/redress}
CASES=${BENCH_CASES:-1000000}
SAMPLES=${BENCH_SAMPLES:-50}
PORT=${BENCH_PORT:-18081}

tmp=$(mktemp -d /tmp/redress-bench-simulate.XXXXXX)
chmod 755 "$tmp"
[ "$(id -u)" -eq 0 ] && chown postgres "$tmp"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  scripts/pg.sh stop "$tmp/data" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

scripts/pg.sh init "$tmp/data"
scripts/pg.sh start "$tmp/data" "$tmp" "$tmp/postgres.log" shared_buffers=256MB
psql_admin() { psql -X -q -h "$tmp" -p 5432 -U postgres -d postgres -tA "$@"; }
psql_admin -c "CREATE DATABASE redress_bench"
export REDRESS_DATABASE_URL="host=$tmp port=5432 dbname=redress_bench user=postgres"
psql_bench() { psql -X -q -h "$tmp" -p 5432 -U postgres -d redress_bench -tA "$@"; }
"$bin" migrate 2>/dev/null
key=$("$bin" apikey create --tenant bench 2>/dev/null | tail -n 1)
REDRESS_PORT=$PORT REDRESS_THREADS=2 REDRESS_LOG_LEVEL=warn "$bin" serve 2>"$tmp/serve.log" &
server_pid=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.2; done

echo "deciding $SAMPLES sample cases..."
set -- minor_defect late_delivery damaged_in_transit defective expectation_mismatch wrong_size_ordered \
       changed_mind missing_parts lost_in_transit usage_question packaging_damaged not_as_described
n=0
while [ "$n" -lt "$SAMPLES" ]; do
  i=$((n % $#))
  eval "category=\${$((i + 1))}"
  curl -sf -o /dev/null -H "Authorization: Bearer $key" -H "Content-Type: application/json" \
    -d "{\"channel\":\"amazon\",\"order\":{\"order_id\":\"113-$n\",\"sku\":\"SKU-$((n % 30))\",\"currency\":\"USD\",
         \"item_price\":$((500 + n * 397 % 20000)),\"shipping_paid\":499},
         \"buyer\":{\"buyer_id\":\"B$n\",\"language\":\"en\"},\"issue\":{\"category\":\"$category\"}}" \
    "http://127.0.0.1:$PORT/v1/cases"
  n=$((n + 1))
done
echo "cloning them into $CASES cases..."
psql_bench <<SQL
INSERT INTO cases (tenant_id, case_id, buyer_id, order_id, sku, channel, category, responsibility, tier,
                   primary_action, currency, refund_amount, order_value, remedy_cost, full_return_cost, risk,
                   request, decision, created_at, policy_version, decision_inputs)
SELECT c.tenant_id, gen_random_uuid(), c.buyer_id, c.order_id, c.sku, c.channel, c.category, c.responsibility,
       c.tier, c.primary_action, c.currency, c.refund_amount, c.order_value, c.remedy_cost, c.full_return_cost,
       c.risk, c.request, c.decision, now() - interval '400 days' + (g % 365) * interval '1 day' + g * interval '1 ms',
       c.policy_version, c.decision_inputs
FROM cases c CROSS JOIN generate_series(1, ($CASES - $SAMPLES) / $SAMPLES) g;
SQL
psql_bench -c "VACUUM (ANALYZE)"
total=$(psql_bench -c "SELECT count(*) FROM cases")
echo "$total cases recorded"

simulate() { # FROM-days-ago label
  from=$(date -u -d "$1 days ago" +%Y-%m-%dT%H:%M:%SZ)
  start=$(date +%s.%N)
  curl -sf -H "Authorization: Bearer $key" -H "Content-Type: application/json" \
    -d "{\"policy\":{\"categories\":{\"minor_defect\":{\"goodwill_percent\":25}}},\"from\":\"$from\"}" \
    "http://127.0.0.1:$PORT/v1/policy/simulate" > "$tmp/sim.json"
  end=$(date +%s.%N)
  field() { python3 -c "import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$tmp/sim.json" "$1"; }
  cases=$(field cases)
  changed=$(field changed)
  mismatches=$(field fidelity_mismatches)
  rss=$(awk '/VmHWM/ { print $2 / 1024 " MiB" }' "/proc/$server_pid/status")
  awk -v c="$cases" -v s="$start" -v e="$end" -v ch="$changed" -v m="$mismatches" -v r="$rss" -v l="$2" \
    'BEGIN { printf "  %-6s %9d cases in %6.2f s: %8.0f cases/s (changed %d, fidelity mismatches %d), peak RSS %s\n", l, c, e - s, c / (e - s), ch, m, r }'
}
echo "simulating (one request at a time; peak RSS of the service so far):"
simulate 75 "~10%"
simulate 220 "~50%"
simulate 401 "all"
