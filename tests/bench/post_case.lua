-- wrk's POST /v1/cases for the benchmarks (scripts/bench.sh,
-- scripts/bench-evidence.sh): a random decidable case each time, with a
-- fresh Idempotency-Key. Set by the caller's environment:
--   BENCH_KEY     the tenant's API key
--   BENCH_BUYERS  buyers are B1..B<BENCH_BUYERS> (default 100000)
local key = os.getenv("BENCH_KEY")
local buyers = tonumber(os.getenv("BENCH_BUYERS") or "100000")
assert(key ~= nil and key ~= "", "BENCH_KEY is not set")
local counter = 0
local categories = { "minor_defect", "late_delivery", "damaged_in_transit", "defective", "expectation_mismatch",
                     "wrong_size_ordered", "changed_mind", "missing_parts", "lost_in_transit", "usage_question" }
local languages = { "en", "en", "de", "fr", "es", "ja", "zh-CN" }
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
request = function()
  counter = counter + 1
  local buyer = "B" .. math.random(1, buyers)
  local body = '{"channel":"amazon","order":{"order_id":"113-' .. math.random(1000000, 9999999) ..
    '","sku":"SKU-' .. math.random(1, 300) .. '","currency":"USD","item_price":' .. math.random(500, 20000) ..
    ',"shipping_paid":499,"delivered_at":"2026-11-05T16:00:00Z"},"buyer":{"buyer_id":"' .. buyer ..
    '","name":"Jane","language":"' .. languages[math.random(1, #languages)] .. '"},"issue":{"category":"' ..
    categories[math.random(1, #categories)] .. '"}}'
  local headers = { ["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json",
                    ["Idempotency-Key"] = "bench-" .. math.random(1, 2^30) .. "-" .. counter }
  return wrk.format("POST", "/v1/cases", headers, body)
end
