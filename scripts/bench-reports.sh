#!/bin/sh
# make bench-reports: imports, reports and the decisions beside them, at the
# size of issue #10 (one tenant, 5,000,000 order lines and 1,000,000 cases
# over 13 months), on a throwaway PostgreSQL and the service
# (REDRESS_RATE_LIMIT_PER_SECOND=0):
#   1. import speed: Amazon "All Orders" files of 250k, 500k and 1M lines
#      (tests/bench/gen_orders.py) through POST /v1/imports/amazon-all-orders,
#      then 1M gzip-compressed; rows/s and the service's peak RSS (VmHWM)
#      after each (flat: files are streamed);
#   2. scale: the rest of the order lines the same way, account events
#      through POST /v1/imports/events, cases by SQL on a fifth of the order
#      lines (real orders, SKUs and currencies; outcomes for most), their
#      rollups by the statements of migrations/0010_case_rollups_backfill.sql;
#   3. reports: p50/p99 of the summary and SKU reports over 30 days, 90 days
#      and 13 months, and of health (its own windows) as of today
#      (BENCH_REQUESTS each after a warm-up, one connection, curl);
#   4. POST /v1/cases on this tenant: the load of scripts/bench.sh (its wrk
#      script, taken from it), alternating for BENCH_ROUNDS rounds with the
#      service as it was before issue #10 (BENCH_BASELINE, built from git in
#      its own directory) on the same database: req/s of each and the ratio.
# BENCH_LINES and BENCH_CASES scale it down; BENCH_KEEP=1 keeps the
# directory (database, files, logs).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bin=${BENCH_BINARY:-build/redress}
build=$(dirname "$bin")
LINES=${BENCH_LINES:-5000000}
CASES=${BENCH_CASES:-1000000}
BUYERS=${BENCH_BUYERS:-100000}
REQUESTS=${BENCH_REQUESTS:-100}
WARMUP=${BENCH_WARMUP:-5}
REPORT_SECONDS=${BENCH_REPORT_SECONDS:-30}
ROUNDS=${BENCH_ROUNDS:-3}
SECONDS_EACH=${BENCH_SECONDS:-8}
THREADS=${BENCH_THREADS:-4}
CONNECTIONS=${BENCH_CONNECTIONS:-16}
PORT=${BENCH_PORT:-18082}
BASELINE=${BENCH_BASELINE:-12398da}   # the last commit before issue #10
DAYS=395                              # 13 months, ending at today's start (UTC)

tmp=$(mktemp -d /tmp/redress-bench-reports.XXXXXX)
chmod 755 "$tmp"
[ "$(id -u)" -eq 0 ] && chown postgres "$tmp"
server_pid=""
stop_server() {
  [ -n "$server_pid" ] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  server_pid=""
}
cleanup() {
  stop_server
  scripts/pg.sh stop "$tmp/data" 2>/dev/null || true
  [ -n "${BENCH_KEEP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
elapsed() { awk -v s="$1" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'; }

# The baseline first: a failed build should not cost a loaded database.
baseline_bin=""
if [ "$BASELINE" != none ]; then
  commit=$(git rev-parse --short "$BASELINE^{commit}")
  baseline_dir="$build/bench-baseline-$commit"
  if [ ! -x "$baseline_dir/build/redress" ]; then
    echo "building the baseline service ($commit) in $baseline_dir..."
    rm -rf "$baseline_dir" && mkdir -p "$baseline_dir"
    git archive "$commit" | tar -x -C "$baseline_dir"
    make -C "$baseline_dir" --no-print-directory BUILD=build build/redress >"$tmp/baseline-build.log" 2>&1 ||
      { cat "$tmp/baseline-build.log"; exit 1; }
  fi
  baseline_bin="$baseline_dir/build/redress"
fi

scripts/pg.sh init "$tmp/data"
scripts/pg.sh start "$tmp/data" "$tmp" "$tmp/postgres.log" synchronous_commit=on shared_buffers=1GB \
  max_wal_size=4GB max_connections=100 log_min_duration_statement=1000
psql_admin() { psql -X -q -h "$tmp" -p 5432 -U postgres -d postgres -tA "$@"; }
psql_admin -c "CREATE DATABASE redress_bench"
export REDRESS_DATABASE_URL="host=$tmp port=5432 dbname=redress_bench user=postgres"
psql_bench() { psql -X -q -h "$tmp" -p 5432 -U postgres -d redress_bench -tA -v ON_ERROR_STOP=1 "$@"; }
"$bin" migrate 2>/dev/null
key=$("$bin" apikey create --tenant bench 2>/dev/null | tail -n 1)
tenant_id=$(psql_bench -c "SELECT id FROM tenants WHERE name = 'bench'")
base="http://127.0.0.1:$PORT"

serve() { # BINARY: serve one tenant at full speed (the rate limit is not what is measured);
           # the schema is ours already (the baseline knows only its part of it)
  REDRESS_PORT=$PORT REDRESS_THREADS=$THREADS REDRESS_LOG_LEVEL=warn REDRESS_RATE_LIMIT_PER_SECOND=0 \
    REDRESS_MIGRATE_ON_START=false "$1" serve 2>>"$tmp/serve.log" &
  server_pid=$!
  # Ready when it answers from the database (the baseline's /readyz says 503:
  # the schema is newer than it knows).
  for _ in $(seq 1 50); do
    curl -sf -H "Authorization: Bearer $key" "$base/v1/policy" >/dev/null 2>&1 && return 0; sleep 0.2
  done
  echo "the service did not get ready:"; cat "$tmp/serve.log"; exit 1
}
serve "$bin"
# What PostgreSQL spent on statements over 1 s (its log), by statement, since
# the last call: where an import's time goes.
log_seen=0
slow_statements() {
  awk -v from="$log_seen" 'NR > from && / duration: / {
      for (i = 1; i <= NF; i++) if ($i == "duration:") ms = $(i + 1)
      if (match($0, /ms  execute [a-z_0-9]+/)) name = substr($0, RSTART + 12, RLENGTH - 12)
      else if (match($0, /statement: [A-Za-z]+ [a-z_0-9]+/)) name = substr($0, RSTART + 11, RLENGTH - 11)
      else name = "other"
      total[name] += ms; calls[name]++ }
    END { for (n in total) printf "     %-36s %4d calls over 1 s %9.1f s\n", n, calls[n], total[n] / 1000 }' \
    "$tmp/postgres.log" | sort -k7 -rn
  log_seen=$(wc -l < "$tmp/postgres.log")
}
peak_rss() { awk '/VmHWM/ { printf "%.0f MiB", $2 / 1024 }' "/proc/$server_pid/status"; }

# ---- 1 and 2: the order files, by purchase date over the 13 months ----
# Files of up to 1,250,000 lines (~290 MB: under the 512 MiB default cap).
# LINES total: the three speed files, one gzip-compressed, then the rest.
sizes=$(awk -v total="$LINES" 'BEGIN {
  n = split("250000 500000 1000000 1000000", s, " ")
  for (i = 1; i <= n && total > 0; i++) { x = s[i] < total ? s[i] : total; printf "%d ", x; total -= x }
  while (total > 0) { x = total > 1250000 ? 1000000 : total; printf "%d ", x; total -= x } }')
today=$(date -u +%Y-%m-%d)
start=$(date -u -d "$today - $DAYS days" +%Y-%m-%d)
echo "generating $LINES order lines from $start to $today (files of $sizes lines)..."
t0=$(date +%s.%N)
# Two at a time (two cores); file i numbers its orders from the lines before
# it, more than the orders before it, so that no two files share an order.
i=0; day=0; done_lines=0; pids=""
for n in $sizes; do
  i=$((i + 1))
  end_day=$((DAYS * (done_lines + n) / LINES))
  python3 tests/bench/gen_orders.py --lines "$n" --from "$(date -u -d "$start + $day days" +%Y-%m-%d)" \
    --days $((end_day - day)) --first-order "$done_lines" --seed "$i" --events "$tmp/events-$i.ndjson" \
    --tracking-from "$(date -u -d "$today - 120 days" +%Y-%m-%d)" \
    > "$tmp/orders-$i.tsv" 2>"$tmp/orders-$i.count" &
  pids="$pids $!"
  done_lines=$((done_lines + n)); day=$end_day
  if [ $((i % 2)) -eq 0 ]; then wait $pids; pids=""; fi
done
[ -z "$pids" ] || wait $pids
cat "$tmp"/events-*.ndjson > "$tmp/events.ndjson" && rm "$tmp"/events-*.ndjson
echo "  $(elapsed "$t0") s ($(cat "$tmp"/orders-*.count | awk '{ s += $1 } END { print s }') orders, $(wc -l < "$tmp/events.ndjson") account events)"
[ "$i" -ge 4 ] && gzip -1 "$tmp/orders-4.tsv"

import() { # KIND FILE CONTENT-TYPE [CONTENT-ENCODING]: POST it; prints rows read, seconds, the answer's counts
  code=$(curl -sS -X POST -T "$2" -H "Authorization: Bearer $key" -H "Content-Type: $3" \
         -H "Content-Encoding:${4:+ $4}" -o "$tmp/import.json" -w '%{http_code} %{time_total}' "$base/v1/imports/$1")
  case "$code" in
    2*) ;;
    *) echo "import of $2: HTTP $code" >&2; cat "$tmp/import.json" >&2; exit 1 ;;
  esac
  python3 - "$tmp/import.json" "${code#* }" <<'PY'
import json, sys
answer = json.load(open(sys.argv[1]))
seconds = float(sys.argv[2])
print("%d %.2f inserted %s, updated %s, skipped %s, rejected %s" % (answer["rows_read"], seconds,
      answer["inserted"], answer["updated"], answer["skipped"], answer["rejected"]))
for r in answer.get("rejected_rows", [])[:3]:
    print("    rejected: %s" % json.dumps(r), file=sys.stderr)
PY
}

echo
echo "1. import speed (POST /v1/imports/amazon-all-orders, one request at a time; peak RSS of the service so far)"
echo "   peak RSS before: $(peak_rss)"
printf '   %-22s %10s %9s %10s %10s   %s\n' file lines seconds "rows/s" "peak RSS" "answer"
i=0
for n in $sizes; do
  i=$((i + 1))
  file="$tmp/orders-$i.tsv"; gz=""; label="$n lines"
  [ -f "$file.gz" ] && { file="$file.gz"; gz=gzip; label="$n lines, gzip"; }
  [ "$i" -eq 5 ] && echo "2. scale: the rest of the order lines"
  answer=$(import amazon-all-orders "$file" text/tab-separated-values $gz)
  set -- $answer
  rows=$1; seconds=$2; shift 2
  printf '   %-22s %10d %9s %10.0f %10s   %s\n' "$label" "$rows" "$seconds" \
    "$(awk -v r="$rows" -v s="$seconds" 'BEGIN { print r / s }')" "$(peak_rss)" "$*"
  rm -f "$file"
done
answer=$(import events "$tmp/events.ndjson" application/x-ndjson)
set -- $answer
echo "   account events: $1 lines in $2 s; $(echo "$*" | cut -d' ' -f3-)"
echo "   PostgreSQL's statements over 1 s during the imports, by name:"
slow_statements

echo "   $CASES cases by SQL on the order lines (outcomes for three in four), then their rollups..."
t0=$(date +%s.%N)
psql_bench <<SQL
INSERT INTO buyers (tenant_id, buyer_id) SELECT $tenant_id, 'B' || g FROM generate_series(1, $BUYERS) g;
-- What each category usually leads to: who is responsible, the primary
-- remedy (and a second for a third of the cases), the refund and the
-- remedy's cost as shares of the order value.
CREATE TEMPORARY TABLE bench_categories (category text, weight int, responsibility text, primary1 text,
                                         primary2 text, refund_share numeric, cost_share numeric);
INSERT INTO bench_categories VALUES
  ('minor_defect', 14, 'seller', 'partial_refund', 'coupon', 0.20, 0.20),
  ('defective', 12, 'seller', 'replacement', 'return_refund', 0.00, 0.55),
  ('changed_mind', 10, 'buyer', 'return_refund', 'explanation', 0.00, 0.12),
  ('damaged_in_transit', 10, 'carrier', 'replacement', 'carrier_claim', 0.00, 0.50),
  ('late_delivery', 9, 'carrier', 'coupon', 'explanation', 0.00, 0.05),
  ('not_as_described', 8, 'seller', 'return_refund', 'partial_refund', 0.00, 0.30),
  ('wrong_size_ordered', 7, 'buyer', 'exchange', 'return_refund', 0.00, 0.12),
  ('wrong_item', 6, 'seller', 'replacement', 'full_refund', 0.00, 0.60),
  ('missing_parts', 6, 'seller', 'reship_parts', 'partial_refund', 0.00, 0.10),
  ('expectation_mismatch', 5, 'shared', 'partial_refund', 'return_refund', 0.15, 0.15),
  ('lost_in_transit', 4, 'carrier', 'full_refund', 'replacement', 1.00, 1.00),
  ('usage_question', 3, 'buyer', 'explanation', 'coupon', 0.00, 0.00),
  ('packaging_damaged', 3, 'carrier', 'partial_refund', 'coupon', 0.10, 0.10),
  ('cancellation_request', 2, 'buyer', 'cancel_refund', 'explanation', 1.00, 0.02),
  ('service_complaint', 1, 'seller', 'coupon', 'explanation', 0.00, 0.05);
CREATE TEMPORARY TABLE bench_pick AS
  SELECT row_number() OVER () - 1 AS slot, c.* FROM bench_categories c, generate_series(1, c.weight);
-- CASES order lines spread evenly over the file (so over the 13 months):
-- line r is taken when r * CASES / total crosses an integer.
INSERT INTO cases (tenant_id, case_id, buyer_id, order_id, sku, channel, category, responsibility, tier,
                   primary_action, currency, refund_amount, order_value, remedy_cost, full_return_cost, risk,
                   request, decision, created_at, outcome_status, final_refund, outcome_at)
SELECT $tenant_id, gen_random_uuid(), 'B' || (1 + h % $BUYERS), l.order_id, l.sku, 'amazon', p.category,
       p.responsibility, (ARRAY['top','goodwill','goodwill','goodwill','goodwill','goodwill','courtesy','courtesy',
                               'courtesy','firm'])[1 + h / 7 % 10],
       CASE WHEN h / 11 % 3 = 0 THEN p.primary2 ELSE p.primary1 END, l.currency,
       round(l.item_price * p.refund_share), l.item_price, round(l.item_price * p.cost_share),
       round(l.item_price * 1.15), (ARRAY['low','low','low','low','low','low','low','low','medium','high'])[1 + h / 13 % 10],
       '{}', '{}', t.created_at,
       CASE WHEN h / 17 % 4 > 0 THEN (ARRAY['accepted','accepted','accepted','accepted','accepted','accepted',
                                            'returned','returned','declined','escalated'])[1 + h / 19 % 10] END,
       CASE WHEN h / 17 % 4 > 0 THEN round(l.item_price * p.refund_share) END,
       CASE WHEN h / 17 % 4 > 0 THEN least(t.created_at + (1 + h / 23 % 40) * interval '1 hour', now()) END
FROM (SELECT order_id, sku, currency, item_price, purchased_at, abs(hashtext(order_id || sku)::bigint) AS h,
             row_number() OVER () AS r, count(*) OVER () AS total
      FROM order_lines WHERE tenant_id = $tenant_id AND NOT cancelled AND item_price IS NOT NULL) l
JOIN bench_pick p ON p.slot = l.h % 100
CROSS JOIN LATERAL (SELECT l.purchased_at + least((2 + l.h / 29 % 20) * interval '1 day'
                                 + (l.h % 86400) * interval '1 second', (now() - l.purchased_at) / 2) AS created_at) t
WHERE (l.r * $CASES) / l.total <> ((l.r - 1) * $CASES) / l.total;
INSERT INTO outcomes (tenant_id, case_id, revision, outcome_id, status, final_refund, review_outcome,
                      order_retained, abuse_confirmed, recorded_at)
SELECT tenant_id, case_id, 1, gen_random_uuid(), outcome_status, final_refund,
       (ARRAY['none','none','none','none','none','avoided','avoided','posted','updated','removed'])[1 + abs(hashtext(case_id::text)::bigint) % 10],
       CASE abs(hashtext(order_id)::bigint) % 3 WHEN 0 THEN NULL WHEN 1 THEN true ELSE false END, false, outcome_at
FROM cases WHERE tenant_id = $tenant_id AND outcome_status IS NOT NULL;
SQL
# The backfill's own statements (TRUNCATE, INSERT), not its schema changes
# (the migration made them on the empty database).
awk '/^(TRUNCATE|INSERT) / { on = 1 } on { print } on && /;[[:space:]]*$/ { on = 0 }' \
  migrations/0010_case_rollups_backfill.sql > "$tmp/backfill.sql"
grep -q '^INSERT INTO case_sku_daily' "$tmp/backfill.sql" || { echo "no backfill statements in migration 0010"; exit 1; }
psql_bench -f "$tmp/backfill.sql"
psql_bench -c "VACUUM (ANALYZE)"
psql_bench -c "CHECKPOINT"
echo "   $(elapsed "$t0") s: $(psql_bench -c "SELECT (SELECT count(*) FROM order_lines) || ' order lines, ' ||
  (SELECT count(*) FROM cases) || ' cases (' || (SELECT count(*) FROM outcomes) || ' outcomes), ' ||
  (SELECT count(*) FROM account_events) || ' account events; rollup rows: sales_daily ' ||
  (SELECT count(*) FROM sales_daily) || ', case_sku_daily ' || (SELECT count(*) FROM case_sku_daily) ||
  ', case_daily ' || (SELECT count(*) FROM case_daily) || ', health_daily ' || (SELECT count(*) FROM health_daily)")"

# ---- 3: reports ----
# One curl, one connection: WARMUP transfers of the same URL, then REQUESTS
# more, each timed (time_total), every status 200. A report slower than
# REPORT_SECONDS / REQUESTS gets fewer (at least 10), so that a slow one
# does not take the bench's whole time: the table says how many.
transfers() { # COUNT PATH ACCEPT: appends "status seconds bytes" lines to $tmp/times
  {
    printf 'header = "Authorization: Bearer %s"\nheader = "Accept: %s"\n' "$key" "$3"
    for _ in $(seq 1 "$1"); do printf 'url = "%s%s"\noutput = "/dev/null"\n' "$base" "$2"; done
  } > "$tmp/curl.cfg"
  curl -s -K "$tmp/curl.cfg" -w '%{http_code} %{time_total} %{size_download}\n' >> "$tmp/times"
}
measure() { # LABEL PATH ACCEPT
  : > "$tmp/times"
  transfers "$WARMUP" "$2" "$3"
  n=$(awk -v want="$REQUESTS" -v budget="$REPORT_SECONDS" '{ s += $2 } END {
        n = s > 0 ? int(budget / (s / NR)) : want; print (n > want ? want : (n < 10 ? 10 : n)) }' "$tmp/times")
  transfers "$n" "$2" "$3"
  if awk '$1 != 200 { bad = 1 } END { exit !bad }' "$tmp/times"; then
    echo "$1 $2: not all 200:"; sort "$tmp/times" | uniq -c | head; curl -s -H "Authorization: Bearer $key" "$base$2"; exit 1
  fi
  tail -n "$n" "$tmp/times" | sort -k2 -n | awk -v label="$1" '
    { t[NR] = $2 * 1000; size = $3 }
    END { p99 = int(NR * 0.99); if (p99 < NR * 0.99) p99++
          printf "   %-34s %4d %8.1f %8.1f %8.1f %9d%s\n", label, NR, t[int(NR * 0.5) + 1], t[p99], t[NR], size,
                 (t[p99] > 300 ? "   over the 300 ms goal" : "") }'
}
echo
echo "3. reports: n requests each (up to $REQUESTS, about ${REPORT_SECONDS}s at most) after $WARMUP warm-up,"
echo "   one connection (ms; goal: p99 under 300; p99 by nearest rank: of 100, the slowest but one; of fewer, the slowest)"
printf '   %-34s %4s %8s %8s %8s %9s\n' "report, window" n p50 p99 max bytes
for window in 30 90 $DAYS; do
  from=$(date -u -d "$today - $((window - 1)) days" +%Y-%m-%d)
  q="from=$from&to=$today"
  name="$window days"; [ "$window" -eq $DAYS ] && name="13 months"
  measure "summary, $name" "/v1/reports/summary?$q" application/json
  measure "skus, $name" "/v1/reports/skus?$q" application/json
  measure "skus sort=return_rate, $name" "/v1/reports/skus?$q&sort=return_rate" application/json
  measure "skus as CSV, $name" "/v1/reports/skus?$q" text/csv
done
# Health has its own windows (60, 30, 10, 7 days and a 13-week trend) as of a day.
measure "health, as of today" "/v1/reports/health?to=$today" application/json
measure "health as CSV, as of today" "/v1/reports/health?to=$today" text/csv

# ---- 4: POST /v1/cases on the loaded tenant, against the service before issue #10 ----
echo
if [ -z "$baseline_bin" ]; then
  echo "4. skipped (BENCH_BASELINE=none)"
  exit 0
fi
# The load of scripts/bench.sh, from the file itself (one description).
awk '/^cat > "\$tmp\/post.lua" <<LUA$/ { on = 1; next } on && /^LUA$/ { exit } on { print }' scripts/bench.sh |
  sed "s/\\\$BUYERS/$BUYERS/g; s/\\\$key/$key/g" > "$tmp/post.lua"
grep -q 'wrk.format("POST", "/v1/cases"' "$tmp/post.lua" || { echo "scripts/bench.sh has no wrk script to take"; exit 1; }
echo "4. POST /v1/cases on this tenant, scripts/bench.sh's load (wrk, $CONNECTIONS connections, $THREADS service threads,"
echo "   ${SECONDS_EACH}s each), alternating with the service before issue #10 ($(basename "$(dirname "$(dirname "$baseline_bin")")"))"
printf '   %-6s %14s %9s %9s   %14s %9s %9s   %6s\n' round "this r/s" p50 p99 "baseline r/s" p50 p99 ratio
: > "$tmp/ratios"
drive() { # prints req/s p50 p99
  wrk -t 2 -c "$CONNECTIONS" -d "${SECONDS_EACH}s" --latency -s "$tmp/post.lua" "$base" > "$tmp/wrk.txt"
  if grep -q "Non-2xx" "$tmp/wrk.txt"; then echo "wrk saw errors:" >&2; cat "$tmp/wrk.txt" >&2; exit 1; fi
  awk '/Requests\/sec/ { r = $2 } $1 == "50%" { p50 = $2 } $1 == "99%" { p99 = $2 } END { print r, p50, p99 }' "$tmp/wrk.txt"
}
for round in $(seq 1 "$ROUNDS"); do
  stop_server; serve "$bin"; this=$(drive)
  stop_server; serve "$baseline_bin"; then=$(drive)
  set -- $this $then
  ratio=$(awk -v a="$1" -v b="$4" 'BEGIN { printf "%.3f", a / b }')
  echo "$ratio" >> "$tmp/ratios"
  printf '   %-6s %14s %9s %9s   %14s %9s %9s   %6s\n' "$round" "$1" "$2" "$3" "$4" "$5" "$6" "$ratio"
done
median=$(sort -n "$tmp/ratios" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
echo "   ratio this / baseline, median of $ROUNDS rounds: $median (goal: at least 0.95)"
