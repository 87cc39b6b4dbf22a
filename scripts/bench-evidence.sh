#!/bin/sh
# make bench-evidence (after tests/bench/evidence.c): whether rendering
# evidence PDFs holds up other requests. One case with a shipment, an
# outcome and BENCH_MESSAGES messages (some Chinese and Japanese; about 3
# pages), then wrk drives POST /v1/cases for BENCH_SECONDS, BENCH_ROUNDS
# times each (alternating, so that drift on a shared machine hits both):
#   (a) alone,
#   (b) while BENCH_PDF_CLIENTS curl clients download that case's PDF,
#       one after another, as fast as they are answered.
# Prints req/s and p99 of (a) and (b), their ratio, where the machine's
# CPU went in each (service, its PostgreSQL, wrk, the PDF clients, all
# else: other users of the machine, kernel), PDFs/s and the 503s the render
# limit (REDRESS_EVIDENCE_RENDERS) answered, and the PDF's render time as
# the service logs it ("evidence PDF of case ...: N bytes in X ms").
#
# wrk, PostgreSQL, the PDF clients and the service share this machine's
# cores: the ratio is the figure, not the absolute req/s, and the idle
# share says whether (b) ran out of CPU (renders and curl take cores that
# POST /v1/cases used in (a)).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bin=${BENCH_BINARY:-build/redress}
SECONDS_EACH=${BENCH_SECONDS:-10}
ROUNDS=${BENCH_ROUNDS:-3}
PDF_CLIENTS=${BENCH_PDF_CLIENTS:-2}
MESSAGES=${BENCH_MESSAGES:-24}
CONNECTIONS=${BENCH_CONNECTIONS:-8}
PORT=${BENCH_PORT:-18082}
base="http://127.0.0.1:$PORT"

tmp=$(mktemp -d /tmp/redress-bench-evidence.XXXXXX)
chmod 755 "$tmp"
[ "$(id -u)" -eq 0 ] && chown postgres "$tmp"
server_pid=""
client_pids=""
cleanup() {
  for p in $client_pids; do kill "$p" 2>/dev/null || true; done
  [ -n "$server_pid" ] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  scripts/pg.sh stop "$tmp/data" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

scripts/pg.sh init "$tmp/data"
scripts/pg.sh start "$tmp/data" "$tmp" "$tmp/postgres.log" shared_buffers=256MB
psql -X -q -h "$tmp" -p 5432 -U postgres -d postgres -tA -c "CREATE DATABASE redress_bench"
export REDRESS_DATABASE_URL="host=$tmp port=5432 dbname=redress_bench user=postgres"
"$bin" migrate 2>/dev/null
key=$("$bin" apikey create --tenant bench 2>/dev/null | tail -n 1)
# info: the handler logs each PDF's render time. One tenant at full speed:
# the per-tenant rate limit is not what is measured.
REDRESS_PORT=$PORT REDRESS_THREADS=2 REDRESS_LOG_LEVEL=info REDRESS_RATE_LIMIT_PER_SECOND=0 \
  "$bin" serve 2>"$tmp/serve.log" &
server_pid=$!
for _ in $(seq 1 50); do curl -sf "$base/readyz" >/dev/null 2>&1 && break; sleep 0.2; done

post() { # PATH BODY: the response body; fails on anything but 2xx
  curl -sf -H "Authorization: Bearer $key" -H "Content-Type: application/json" -d "$2" "$base$1"
}

# ---- the case whose PDF is downloaded ----
case_id=$(post /v1/cases '{"channel":"amazon","ticket_id":"ZD-4711",
  "order":{"order_id":"113-4711001-4711001","sku":"MUG-01","currency":"USD","item_price":2599,"shipping_paid":499,
    "fulfillment":"FBM","ordered_at":"2026-11-10T08:00:00Z","delivered_at":"2026-11-14T15:00:00Z",
    "product_description":"Blue ceramic mug, 350 ml, dishwasher safe, gift box",
    "shipment":{"carrier":"UPS","tracking_number":"1Z999AA10123456784","shipped_at":"2026-11-11T09:30:00Z",
      "delivered_at":"2026-11-14T15:00:00Z","delivery_confirmation":"signature","ship_to_country":"US"}},
  "buyer":{"buyer_id":"jane@example.com","name":"Jane Doe","language":"en"},
  "issue":{"category":"damaged_in_transit","description":"Handle cracked on arrival, box dented",
    "message":"The mug arrived with a crack in the handle and the box was dented."}}' |
  python3 -c "import json, sys; print(json.load(sys.stdin)['case_id'])")
# The two sides in turn; every fifth message of each is Chinese or Japanese.
set -- "Hello, the mug arrived today but the handle is cracked and the box was dented on one corner." \
       "I attached two photos of the crack. Can you send a replacement or refund part of the price?" \
       "Thanks for the quick answer. A partial refund is fine, I will keep the mug as a pencil holder." \
       "杯子到的时候把手裂了，盒子也压坏了。请问可以部分退款吗？" \
       "マグカップの取っ手が割れていました。写真を送ります。返金をお願いします。" \
       "We are sorry the mug arrived damaged. Could you send a photo of the handle and of the box?" \
       "Thank you for the photos. We have refunded \$7.80 to your card; you can keep the mug." \
       "The refund has been processed and should appear on your statement within three to five days." \
       "很抱歉给您带来不便。我们已经退款7.80美元，杯子您可以留着。" \
       "ご不便をおかけして申し訳ありません。7.80ドルを返金しました。"
m=0
text=""
while [ "$m" -lt "$MESSAGES" ]; do
  if [ $((m % 2)) -eq 0 ]; then from=buyer; i=$((m / 2 % 5 + 1)); else from=seller; i=$((m / 2 % 5 + 6)); fi
  eval "text=\${$i}"
  at=$(printf '2026-11-15T%02d:%02d:00Z' $((16 + m / 60)) $((m % 60)))
  post "/v1/cases/$case_id/messages" "{\"from\":\"$from\",\"at\":\"$at\",\"text\":\"$text\"}" >/dev/null
  m=$((m + 1))
done
post "/v1/cases/$case_id/outcome" '{"status":"accepted","final_refund":780,"review_outcome":"avoided"}' >/dev/null
pdf_url="$base/v1/cases/$case_id/evidence?purpose=a_to_z"
curl -sf -H "Authorization: Bearer $key" -H "Accept: application/pdf" -o "$tmp/pack.pdf" "$pdf_url"
pages=$(pdfinfo "$tmp/pack.pdf" | sed -n 's/^Pages: *//p')
echo "case $case_id: $MESSAGES messages, PDF of $pages pages, $(wc -c < "$tmp/pack.pdf") bytes"

# ---- wrk drives POST /v1/cases with tests/bench/post_case.lua ----
drive() { # SECONDS OUTPUT: POST /v1/cases under wrk; stops on any non-2xx
  BENCH_KEY="$key" BENCH_BUYERS=100000 wrk -t 2 -c "$CONNECTIONS" -d "${1}s" --latency -s "$root/tests/bench/post_case.lua" "$base" > "$2"
  if grep -q "Non-2xx" "$2"; then echo "wrk saw errors:"; cat "$2"; exit 1; fi
}
# snapshot FILE: where the CPU went so far, as "service postgres children
# idle total" in seconds: the service, its PostgreSQL (postmaster and
# backends), this shell's finished children (wrk; the PDF clients once
# waited for), and the whole machine's idle and total time. Called
# directly, never in $(...): `times` must run in this shell.
hz=$(getconf CLK_TCK)
snapshot() {
  postmaster=$(head -n 1 "$tmp/data/postmaster.pid")
  service=$(awk '{ print $14 + $15 }' "/proc/$server_pid/stat")
  postgres=$(for p in $postmaster $(ps -o pid= --ppid "$postmaster"); do
               awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || true
             done | awk '{ s += $1 } END { print s + 0 }')
  times > "$tmp/times"
  children=$(tail -n 1 "$tmp/times" | tr 'ms' '  ' | awk '{ print $1 * 60 + $2 + $3 * 60 + $4 }')
  awk -v hz="$hz" -v s="$service" -v p="$postgres" -v c="$children" '$1 == "cpu" {
    t = 0; for (i = 2; i <= NF; i++) t += $i
    print s / hz, p / hz, c, ($5 + $6) / hz, t / hz }' /proc/stat > "$1"
}
measure() { # LABEL OUTPUT: drive, then where the CPU went
  snapshot "$tmp/before"
  drive "$SECONDS_EACH" "$2"
  snapshot "$tmp/after"
  cat "$tmp/before" "$tmp/after" | tr '\n' ' ' | awk -v label="$1" -v rps="$(rps "$2")" -v p99="$(p99 "$2")" '{
    service = $6 - $1; postgres = $7 - $2; wrk = $8 - $3; idle = $9 - $4; total = $10 - $5
    printf "  %-33s %9s req/s, p99 %8s\n", label, rps, p99
    rest = total - idle - service - postgres - wrk
    printf "  %-33s CPU s: service %.2f, its postgres %.2f, wrk %.2f, all else %.2f (%.0f%%), idle %.2f of %.2f\n",
           "", service, postgres, wrk, rest, rest * 100 / total, idle, total }'
}
rps() { awk '/Requests\/sec/ { print $2 }' "$1"; }
p99() { awk '$1 == "99%" { print $2 }' "$1"; }

# One PDF client: curl downloading the PDF again and again over one
# keep-alive connection (the same URL many times from a config file; the
# service refuses unknown query parameters, so no glob), writing each
# answer's status to FILE, until killed. One process, not one per PDF: a
# curl started per download costs the machine more CPU than the render it
# waits for, which would be measured instead.
awk -v url="$pdf_url" 'BEGIN { for (i = 0; i < 20000; i++) printf "url = \"%s\"\noutput = \"/dev/null\"\n", url }' \
  > "$tmp/pdf-urls.conf"
pdf_client() {
  exec curl -s -w '%{stderr}%{http_code}\n' -H "Authorization: Bearer $key" -H "Accept: application/pdf" \
    -K "$tmp/pdf-urls.conf" 2>>"$1" >/dev/null
}

drive 2 "$tmp/warmup.txt"
logged() { grep -c "evidence PDF of case" "$tmp/serve.log" || true; }
logged_first=$(logged)
rendered=0
: > "$tmp/ratios"
echo "POST /v1/cases under wrk ($CONNECTIONS connections, 2 service threads), ${SECONDS_EACH}s each, $ROUNDS rounds:"
for round in $(seq 1 "$ROUNDS"); do
  measure "round $round (a) alone:" "$tmp/alone.txt"

  # (b): the PDF clients run from a second before wrk starts until after
  # it ends; PDFs/s counts the renders logged in wrk's window only.
  c=1
  while [ "$c" -le "$PDF_CLIENTS" ]; do
    pdf_client "$tmp/codes.$c" &
    client_pids="$client_pids $!"
    c=$((c + 1))
  done
  sleep 1
  logged_start=$(logged)
  measure "round $round (b) with $PDF_CLIENTS PDF clients:" "$tmp/pdfs.txt"
  rendered=$((rendered + $(logged) - logged_start))
  snapshot "$tmp/before"
  for p in $client_pids; do kill "$p" 2>/dev/null || true; done
  for p in $client_pids; do wait "$p" 2>/dev/null || true; done
  client_pids=""
  snapshot "$tmp/after"
  cat "$tmp/before" "$tmp/after" | awk '{ print $3 }' | tr '\n' ' ' |
    awk '{ printf "  %-33s CPU s of the PDF clients: %.2f (in \"all else\" above)\n", "", $2 - $1 }'
  awk -v a="$(rps "$tmp/alone.txt")" -v b="$(rps "$tmp/pdfs.txt")" 'BEGIN { printf "%.2f\n", b / a }' |
    tee -a "$tmp/ratios" | sed 's/^/  ratio (b) \/ (a): /'
done
echo
sort -n "$tmp/ratios" | awk -v n="$ROUNDS" '{ v[NR] = $1 } END {
  printf "ratio POST /v1/cases req/s with PDFs / without, median of %d rounds: %s\n", n, v[int((NR + 1) / 2)] }'

ok=$(cat "$tmp"/codes.* | grep -c '^200$' || true)
busy=$(cat "$tmp"/codes.* | grep -c '^503$' || true)
other=$(cat "$tmp"/codes.* | grep -vc '^200$\|^503$' || true)
awk -v n="$rendered" -v s=$((SECONDS_EACH * ROUNDS)) -v ok="$ok" -v busy="$busy" -v other="$other" \
  -v total="$(cat "$tmp"/codes.* | wc -l)" 'BEGIN {
  printf "PDFs rendered during (b): %d in %d s (%.1f/s); the clients got %d PDFs, %d 503s, %d other answers in %d requests\n",
         n, s, n / s, ok, busy, other, total }'
# The render time of each PDF made in (b), as the handler logs it.
grep "evidence PDF of case" "$tmp/serve.log" | sed -n "$((logged_first + 1)),\$p" |
  sed -n 's/.* bytes in \([0-9.]*\) ms.*/\1/p' | sort -n |
  awk -v pages="$pages" '{ v[NR] = $1 } END {
    if (NR == 0) { print "no PDF render was logged"; exit 1 }
    p90 = int(NR * 0.9 + 0.5); if (p90 < 1) p90 = 1
    printf "render time of the %s-page PDF as the service logs it, %d renders: median %.1f ms, p90 %.1f ms, max %.1f ms\n",
           pages, NR, v[int((NR + 1) / 2)], v[p90], v[NR] }'
