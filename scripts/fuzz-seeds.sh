#!/bin/sh
# Seed corpora for the fuzzers (tests/fuzz/fuzz_*.c), made from the test
# data, so that fuzzing starts from inputs that reach deep: one directory
# per harness under OUT.
#   fuzz_case_intake  a case body per row of tests/data/engine_cases.tsv,
#                     and the bodies tests/check_cases.c posts
#   fuzz_guard        a channel byte and the text, per row of
#                     tests/data/guard_cases.tsv
#   fuzz_router       "METHOD /path" for every route, and the odd paths
#                     tests/check_http.c sends
#   fuzz_reply        a few byte strings (its input is not text)
#   fuzz_policy       documents and patches like those tests/check_policy.c
#                     sends (first byte 1: a patch over version 1)
#   fuzz_import       every file of tests/data/imports behind its kind byte
#   fuzz_triage       every labelled message of tests/data/triage, unescaped
#                     (0 all orders, 1 FBA returns, 2 FBM returns, 3 events)
#                     and a split-seed byte
# Usage: scripts/fuzz-seeds.sh OUT
set -eu
out=${1:?usage: scripts/fuzz-seeds.sh OUT}
root=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$out"
mkdir -p "$out/fuzz_case_intake" "$out/fuzz_guard" "$out/fuzz_router" "$out/fuzz_reply" "$out/fuzz_policy" "$out/fuzz_import" "$out/fuzz_triage"

# ---- fuzz_case_intake ----
# A * in the table stands for every value; the first is enough for a seed.
# Rows with a history get a trailer (NUL, then bytes the harness reads as
# history counts) so that the abuse rules are reached from the start.
awk -F'\t' -v dir="$out/fuzz_case_intake" '
/^#/ || NF < 9 { next }
{
    channel = $2 == "*" ? "amazon" : $2
    ful = $3 == "*" ? "FBM" : $3
    cust = $4 == "y" ? "true" : "false"
    ship = $5 == "y" ? "true" : "false"
    delay = $6 == "*" ? 3 : $6
    delivered = $7 == "-" ? "" : sprintf(",\"delivered_at\":\"2026-11-%02dT10:00:00Z\"", 22 - $7 > 0 ? 22 - $7 : 1)
    ordered = $7 == "-" ? "2026-11-10T10:00:00Z" : "2026-10-01T10:00:00Z"
    file = sprintf("%s/table-%03d.json", dir, NR)
    printf "{\"ticket_id\":\"T-%d\",\"channel\":\"%s\",\"order\":{\"order_id\":\"113-1234567-1234567\",\"sku\":\"MUG-01\",\"currency\":\"USD\",\"item_price\":%s,\"shipping_paid\":499,\"fulfillment\":\"%s\",\"customized\":%s,\"shipped\":%s,\"ordered_at\":\"%s\"%s},\"buyer\":{\"buyer_id\":\"B-%d\",\"name\":\"Jane\",\"language\":\"en\"},\"issue\":{\"category\":\"%s\",\"delay_days\":%d}}", NR, channel, $8, ful, cust, ship, ordered, delivered, NR, $1, delay > file
    if ($9 != "-")
        printf "%c\003\001\002\001\377\377\377\377\377\001\001", 0 > file
    close(file)
}' "$root/tests/data/engine_cases.tsv"

i=0
while IFS= read -r body; do
    i=$((i + 1))
    printf '%s' "$body" > "$out/fuzz_case_intake/bodies-$i.json"
done <<'BODIES'
{"ticket_id":"ZD-1","channel":"amazon","order":{"order_id":"113-1234567-1234567","sku":"MUG-01","currency":"USD","item_price":2599,"shipping_paid":499},"buyer":{"buyer_id":"B","name":"Jane","language":"en"},"issue":{"category":"defective","description":"scratch"}}
{"order":{"order_id":"1","sku":"S","currency":"USD","item_price":9223372036854775807,"gift_wrap":true},"buyer":{"buyer_id":"B"},"issue":{"category":"scratch"}}
{"order":{},"order":{}}
{"order":{"order_id":"1","sku":"LAMP-9","currency":"USD","item_price":2000},"buyer":{"buyer_id":"COSTED-3"},"issue":{"category":"wrong_item"}}
{"order":{"order_id":"1","sku":"MUG-01","currency":"EUR","item_price":2000},"buyer":{"buyer_id":"COSTED-4"},"issue":{"category":"wrong_item"}}
{"channel":"shopify","marketplace":"ATVPDKIKX0DER","order":{"order_id":"113-4567890","sku":"X","currency":"JPY","item_price":4980,"quantity":3,"unit_cost":1000,"fulfillment":"FBA","customized":true,"shipped":true,"ordered_at":"2026-11-01T10:00:00+09:00","delivered_at":"2026-11-05T16:00:00.5Z"},"buyer":{"buyer_id":"B","name":"\u5f20\u4f1f","language":"zh-TW"},"issue":{"category":"missing_parts","items_affected":2},"signals":{"review":{"type":"product_review","rating":1},"a_to_z_claim":true,"chargeback":true,"return_requested":true}}
{"channel":"other","order":{"order_id":"A","sku":"B","currency":"KWD","item_price":100000000000,"quantity":1000,"shipping_paid":100000000000},"buyer":{"buyer_id":"C","language":"pt-BR"},"issue":{"category":"lost_in_transit","delay_days":3650}}
{"order":{"order_id":"1","sku":"K","currency":"EUR","item_price":3000},"buyer":{"buyer_id":"M1"},"issue":{"message":"Die Lampe kam kaputt an. Ich will kein Geld zur\u00fcck, sondern Ersatz, sonst A-bis-z-Garantie."}}
{"order":{"order_id":"1","sku":"K","currency":"CNY","item_price":3000},"buyer":{"buyer_id":"M2"},"issue":{"category":"defective","message":"\u5145\u7535\u5668\u5192\u70df\u4e86\uff0c\u4e0d\u662f\u8d28\u91cf\u95ee\u9898\uff1f\u6211\u8981\u9000\u6b3e"}}
{"order":{"order_id":"1","sku":"K","currency":"USD","item_price":3000},"buyer":{"buyer_id":"M3"},"issue":{}}
{"order":{"order_id":"113-7654321-7654321","sku":"MUG-01","currency":"USD","item_price":2599,"ordered_at":"2026-11-01T10:00:00Z","delivered_at":"2026-11-06T00:00:00Z","shipment":{"carrier":"UPS","tracking_number":"1Z999AA10123456784","shipped_at":"2026-11-02T09:30:00Z","delivered_at":"2026-11-05T15:42:00-05:00","delivery_confirmation":null,"ship_to_country":"US"},"product_description":"Ceramic mug, 350 ml, \u5370\u5237"},"buyer":{"buyer_id":"S1"},"issue":{"category":"not_as_described"},"signals":{"a_to_z_claim":true,"chargeback":true}}
BODIES

# ---- fuzz_guard: first byte picks the channel (amazon 0, shopify 1, other 2) ----
awk -F'\t' -v dir="$out/fuzz_guard" '
/^#/ || NF < 3 { next }
{
    code = $1 == "amazon" ? 0 : $1 == "shopify" ? 1 : 2
    file = sprintf("%s/table-%03d", dir, NR)
    printf "%c%s", code, $3 > file
    close(file)
}' "$root/tests/data/guard_cases.tsv"

# ---- fuzz_router: "METHOD PATH" ----
i=0
while IFS= read -r line; do
    i=$((i + 1))
    printf '%s' "$line" > "$out/fuzz_router/line-$i"
done <<'LINES'
GET /healthz
GET /readyz
GET /metrics
GET /v1/me
POST /v1/cases
GET /v1/cases/0b6c3a52-4f0e-4c55-9f3e-2d8c8c1f7a10
POST /v1/cases/0b6c3a52-4f0e-4c55-9f3e-2d8c8c1f7a10/outcome
GET /v1/buyers/B%2D1
POST /v1/replies/check
PUT /v1/settings/costs
GET /v1/skus/MUG%2001/costs
PUT /v1/skus/%E2%82%AC/costs
HEAD /v1/buyers/%FF
GET /v1/buyers/%C0%80
DELETE /v1/cases/x/outcome
GET /v1/skus/%2F/costs
GET //v1/cases
LINES

# ---- fuzz_reply: its input is choices, not text ----
printf '\000\000\000\000\000\000\000\000' > "$out/fuzz_reply/zeros"
printf '\001\002\003\004\005\006\007\010\011\012\013\014\015\016\017\020' > "$out/fuzz_reply/counting"
printf '\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377' > "$out/fuzz_reply/ones"
printf '\005\003Jane\022113-1234567-1234567\044\002\003\017\200\000\001' > "$out/fuzz_reply/jane"

# ---- fuzz_policy: a mode byte, then a document or a patch ----
i=0
while IFS= read -r line; do
    i=$((i + 1))
    printf '\001%s' "$line" > "$out/fuzz_policy/patch-$i"
    printf '\000%s' "$line" > "$out/fuzz_policy/doc-$i"
done <<'LINES'
{}
{"note":"tighter goodwill"}
{"remedies":{"goodwill_min_percent":25,"goodwill_max_percent":30,"minor_flaw_percent":25}}
{"remedies":{"goodwill_min_percent":35}}
{"categories":{"minor_defect":{"goodwill_percent":45}}}
{"categories":{"changed_mind":{"tier_ceiling":"courtesy"}}}
{"categories":{"usage_question":{"allowed_actions":["full_refund"]}}}
{"categories":{"defective":{"allowed_actions":[]}}}
{"categories":{"defective":{"allowed_actions":["replacement","bribe"]}}}
{"auto_approve_limit":{"USD":5000,"EUR":4000}}
{"compensation_budget_percent":8}
{"abuse":{"abuse_medium_score":12,"abuse_high_score":6}}
{"deadlines":{"respond_hours":24,"a_to_z_hours":72}}
{"costs":{"landed_cost_percent":35,"return_insurance":true}}
LINES

# ---- fuzz_import: a kind byte, a split-seed byte, then the file ----
for file in "$root"/tests/data/imports/*; do
    case $(basename "$file") in
    all-orders-*) kind='\000' ;;
    fba-returns*) kind='\001' ;;
    fbm-returns*) kind='\002' ;;
    events*) kind='\003' ;;
    *) continue ;;
    esac
    { printf "$kind\007"; cat "$file"; } > "$out/fuzz_import/$(basename "$file")"
done

# ---- fuzz_triage: the labelled messages, as received ----
for file in "$root"/tests/data/triage/*.tsv; do
    awk -F'\t' -v dir="$out/fuzz_triage" -v tag="$(basename "$file" .tsv)" '
        NR > 1 && NF >= 5 {
            text = $5
            gsub(/\\\\/, "\001", text); gsub(/\\n/, "\n", text); gsub(/\\t/, "\t", text); gsub(/\001/, "\\", text)
            printf "%s", text > (dir "/" tag "-" NR)
            close(dir "/" tag "-" NR)
        }' "$file"
done
