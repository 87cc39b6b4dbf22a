-- Every SQL statement the service runs per request, by name.
-- Prepared once per connection (service/db/statements.c); the benchmark
-- feeds the per-request ones to pgbench from this same file.

-- name: tenant_ensure
INSERT INTO tenants (name) VALUES ($1)
ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name
RETURNING id, name;

-- name: api_key_insert
INSERT INTO api_keys (prefix, tenant_id, digest) VALUES ($1, $2, $3::bytea);

-- name: api_key_lookup
SELECT t.id, t.name, k.digest
FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
WHERE k.prefix = $1 AND k.revoked_at IS NULL;

-- name: idempotency_claim
-- The lock is held until the transaction ends: another request with this key
-- meanwhile is "in flight". The lookup's snapshot may predate the lock; the
-- key's primary key catches that race (the transaction runs again and replays).
SELECT pg_try_advisory_xact_lock(hashtextextended($1::text || '/' || $2::text, 7469811405)) AS claimed,
       k.request_hash, k.case_id, k.response_status, k.response_body
FROM (VALUES (1)) AS one (x)
LEFT JOIN idempotency_keys k ON k.tenant_id = $1 AND k.key = $2;

-- name: buyer_lock
-- Upsert and row lock: concurrent claims for one buyer queue here.
INSERT INTO buyers (tenant_id, buyer_id) VALUES ($1, $2)
ON CONFLICT (tenant_id, buyer_id) DO UPDATE SET last_seen = now();

-- name: buyer_history
-- What the engine weighs ($3 category, $4 currency), from one index range scan.
WITH recent AS (
    SELECT category, currency, order_id, order_value, abuse_confirmed, created_at,
           coalesce(final_refund, refund_amount) AS refunded
    FROM cases
    WHERE tenant_id = $1 AND buyer_id = $2 AND created_at > now() - interval '365 days'
)
SELECT count(*) FILTER (WHERE created_at > now() - interval '90 days') AS cases_90d,
       count(*) AS cases_365d,
       count(*) FILTER (WHERE created_at > now() - interval '90 days' AND category = $3) AS same_category_90d,
       count(*) FILTER (WHERE created_at > now() - interval '90 days' AND refunded > 0) AS refunded_90d,
       coalesce(sum(refunded) FILTER (WHERE currency = $4), 0) AS refunded_amount_365d,
       (SELECT coalesce(sum(v), 0) FROM (SELECT max(order_value) AS v FROM recent
                                         WHERE currency = $4 GROUP BY order_id) orders) AS spent_365d,
       count(*) FILTER (WHERE category = 'lost_in_transit') AS not_received_365d,
       count(*) FILTER (WHERE abuse_confirmed) AS abuse_confirmed
FROM recent;

-- name: case_insert
-- The case, its rollups and, when the request had a key, the response to
-- replay: one statement. $18 is text (its first use says so): the key keeps
-- the response byte for byte. Rollups (migration 0009) count the case on
-- its created_at UTC day; orders_with_case counts it only when no earlier
-- case of the tenant has its order and SKU (the statement's snapshot does
-- not see the row it inserts). Tenant-wide rows go to the connection's
-- shard (migration 0010 says why). Migration 0010 fills them the same way.
WITH inserted AS (
    INSERT INTO cases (tenant_id, case_id, buyer_id, order_id, sku, channel, category, responsibility,
                       tier, primary_action, currency, refund_amount, order_value, remedy_cost,
                       full_return_cost, risk, request, decision, created_at, policy_version, decision_inputs)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17::jsonb,
            ($18::text)::jsonb, $19, $22, $23::jsonb)
    RETURNING tenant_id, case_id, sku, currency, category, tier, responsibility, primary_action, refund_amount,
              remedy_cost, full_return_cost, (created_at AT TIME ZONE 'UTC')::date AS day
), keyed AS (
    INSERT INTO idempotency_keys (tenant_id, key, request_hash, case_id, response_status, response_body)
    SELECT tenant_id, $20, $21::bytea, case_id, 201, $18::text FROM inserted WHERE $20::text IS NOT NULL
), by_case AS (
    INSERT INTO case_daily AS d (tenant_id, day, currency, category, tier, responsibility, primary_action, shard,
                                 cases, remedy_cost, full_return_cost, refund_amount)
    SELECT tenant_id, day, currency, category, tier, responsibility, primary_action, pg_backend_pid() % 64, 1,
           remedy_cost, full_return_cost, refund_amount
    FROM inserted
    ON CONFLICT (tenant_id, day, currency, category, tier, responsibility, primary_action, shard) DO UPDATE SET
        cases = d.cases + 1, remedy_cost = d.remedy_cost + EXCLUDED.remedy_cost,
        full_return_cost = d.full_return_cost + EXCLUDED.full_return_cost,
        refund_amount = d.refund_amount + EXCLUDED.refund_amount
), by_sku AS (
    INSERT INTO case_sku_daily AS d (tenant_id, day, sku, currency, category, cases, orders_with_case,
                                     remedy_cost, full_return_cost)
    SELECT tenant_id, day, sku, currency, category, 1,
           CASE WHEN EXISTS (SELECT 1 FROM cases c WHERE c.tenant_id = $1 AND c.order_id = $4 AND c.sku = $5)
                THEN 0 ELSE 1 END,
           remedy_cost, full_return_cost
    FROM inserted
    ON CONFLICT (tenant_id, day, sku, currency, category) DO UPDATE SET
        cases = d.cases + 1, orders_with_case = d.orders_with_case + EXCLUDED.orders_with_case,
        remedy_cost = d.remedy_cost + EXCLUDED.remedy_cost,
        full_return_cost = d.full_return_cost + EXCLUDED.full_return_cost
), by_case_span AS (
    -- the same sums for the case's ISO week and month (migration 0009's spans)
    INSERT INTO case_span AS s (tenant_id, span, start, currency, category, tier, responsibility, primary_action,
                                shard, cases, remedy_cost, full_return_cost, refund_amount)
    SELECT i.tenant_id, p.span, p.start, i.currency, i.category, i.tier, i.responsibility, i.primary_action,
           pg_backend_pid() % 64, 1, i.remedy_cost, i.full_return_cost, i.refund_amount
    FROM inserted i,
         LATERAL (VALUES ('w', date_trunc('week', i.day)::date), ('m', date_trunc('month', i.day)::date))
             AS p (span, start)
    ON CONFLICT (tenant_id, span, start, currency, category, tier, responsibility, primary_action, shard)
    DO UPDATE SET
        cases = s.cases + 1, remedy_cost = s.remedy_cost + EXCLUDED.remedy_cost,
        full_return_cost = s.full_return_cost + EXCLUDED.full_return_cost,
        refund_amount = s.refund_amount + EXCLUDED.refund_amount
), by_sku_span AS (
    INSERT INTO case_sku_span AS s (tenant_id, span, start, sku, currency, category, cases, orders_with_case,
                                    remedy_cost, full_return_cost)
    SELECT i.tenant_id, p.span, p.start, i.sku, i.currency, i.category, 1,
           CASE WHEN EXISTS (SELECT 1 FROM cases c WHERE c.tenant_id = $1 AND c.order_id = $4 AND c.sku = $5)
                THEN 0 ELSE 1 END,
           i.remedy_cost, i.full_return_cost
    FROM inserted i,
         LATERAL (VALUES ('w', date_trunc('week', i.day)::date), ('m', date_trunc('month', i.day)::date))
             AS p (span, start)
    ON CONFLICT (tenant_id, span, start, sku, currency, category) DO UPDATE SET
        cases = s.cases + 1, orders_with_case = s.orders_with_case + EXCLUDED.orders_with_case,
        remedy_cost = s.remedy_cost + EXCLUDED.remedy_cost,
        full_return_cost = s.full_return_cost + EXCLUDED.full_return_cost
)
INSERT INTO response_daily AS d (tenant_id, day, shard, cases, answered, answered_within_24h)
SELECT tenant_id, day, pg_backend_pid() % 64, 1, 0, 0 FROM inserted
ON CONFLICT (tenant_id, day, shard) DO UPDATE SET cases = d.cases + 1;

-- name: case_exists
SELECT 1 FROM cases WHERE tenant_id = $1 AND case_id = $2;

-- name: case_get
SELECT c.request::text, c.decision::text,
       (SELECT coalesce(json_agg(json_build_object(
                   'revision', o.revision, 'status', o.status, 'final_refund', o.final_refund,
                   'review_outcome', o.review_outcome, 'order_retained', o.order_retained,
                   'abuse_confirmed', o.abuse_confirmed, 'note', o.note,
                   'recorded_at', to_char(o.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
                   ORDER BY o.revision), '[]'::json)
        FROM outcomes o WHERE o.tenant_id = c.tenant_id AND o.case_id = c.case_id)::text
FROM cases c WHERE c.tenant_id = $1 AND c.case_id = $2;

-- name: case_lock
SELECT 1 FROM cases WHERE tenant_id = $1 AND case_id = $2 FOR UPDATE;

-- name: outcome_insert
-- Revision $3 (numbered by outcome_next_revision under the case's lock) with
-- the id the service made ($4), and, when the request had a key ($12), the
-- response to replay ($14, byte for byte); the case carries the outcome that
-- stands. Rollups, on the case's created_at UTC day: the case moves in
-- outcome_daily from the standing outcome (revision $3 - 1, if any) to this
-- one, summing final_refund, or the decision's refund_amount when the
-- outcome names none (as the buyer's history does); its first outcome
-- counts as its answer in response_daily (within 24 h: recorded_at at most
-- 24 h after created_at). Rows are the connection's shard (migration 0010),
-- locked in key order. Migration 0010 fills the same numbers from what is
-- recorded.
WITH ins AS (
    INSERT INTO outcomes (tenant_id, case_id, revision, outcome_id, status, final_refund, review_outcome,
                          order_retained, abuse_confirmed, note, recorded_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
    RETURNING tenant_id, case_id, revision, status, final_refund, review_outcome, order_retained, abuse_confirmed,
              recorded_at
), upd AS (
    UPDATE cases c SET outcome_status = ins.status, final_refund = ins.final_refund,
                       abuse_confirmed = ins.abuse_confirmed, outcome_at = ins.recorded_at
    FROM ins WHERE c.tenant_id = ins.tenant_id AND c.case_id = ins.case_id
), keyed AS (
    INSERT INTO idempotency_keys (tenant_id, key, request_hash, case_id, response_status, response_body)
    SELECT tenant_id, $12, $13::bytea, case_id, 200, $14::text FROM ins WHERE $12::text IS NOT NULL
), kase AS (
    SELECT tenant_id, currency, refund_amount, created_at, (created_at AT TIME ZONE 'UTC')::date AS day
    FROM cases WHERE tenant_id = $1 AND case_id = $2
), moves AS (
    SELECT k.day, k.currency, i.status, i.review_outcome, i.order_retained, 1 AS cases,
           coalesce(i.final_refund, k.refund_amount) AS final_refund
    FROM ins i CROSS JOIN kase k
    UNION ALL
    SELECT k.day, k.currency, o.status, o.review_outcome, o.order_retained, -1,
           -coalesce(o.final_refund, k.refund_amount)
    FROM outcomes o CROSS JOIN kase k
    WHERE o.tenant_id = $1 AND o.case_id = $2 AND o.revision = $3::integer - 1
), standing AS (
    INSERT INTO outcome_daily AS d (tenant_id, day, currency, status, review_outcome, order_retained, shard, cases,
                                    final_refund)
    SELECT $1, day, currency, status, review_outcome,
           CASE WHEN order_retained THEN 'yes' WHEN NOT order_retained THEN 'no' ELSE 'unknown' END AS retained,
           pg_backend_pid() % 64, sum(cases), sum(final_refund)
    FROM moves
    GROUP BY day, currency, status, review_outcome, retained
    ORDER BY day, currency, status, review_outcome, retained
    ON CONFLICT (tenant_id, day, currency, status, review_outcome, order_retained, shard) DO UPDATE SET
        cases = d.cases + EXCLUDED.cases, final_refund = d.final_refund + EXCLUDED.final_refund
)
INSERT INTO response_daily AS d (tenant_id, day, shard, cases, answered, answered_within_24h)
SELECT k.tenant_id, k.day, pg_backend_pid() % 64, 0, 1,
       CASE WHEN i.recorded_at <= k.created_at + interval '24 hours' THEN 1 ELSE 0 END
FROM ins i CROSS JOIN kase k
WHERE i.revision = 1
ON CONFLICT (tenant_id, day, shard) DO UPDATE SET
    answered = d.answered + 1, answered_within_24h = d.answered_within_24h + EXCLUDED.answered_within_24h;

-- name: outcome_next_revision
-- After case_lock, in the same transaction: nobody else numbers meanwhile.
SELECT coalesce(max(revision), 0) + 1 AS revision FROM outcomes WHERE tenant_id = $1 AND case_id = $2;

-- name: outcome_exists
-- Whether an outcome the service made (by its id) was recorded.
SELECT 1 FROM outcomes WHERE tenant_id = $1 AND outcome_id = $2;

-- name: buyer_summary
-- This tenant's view of one buyer, as JSON; no row when the tenant has never seen the buyer.
WITH mine AS (
    SELECT * FROM cases WHERE tenant_id = $1 AND buyer_id = $2
), windows AS (
    SELECT * FROM mine WHERE created_at > now() - interval '365 days'
)
SELECT json_build_object(
    'buyer_id', b.buyer_id,
    'first_seen', to_char(b.first_seen AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
    'cases_total', (SELECT count(*) FROM mine),
    'cases_90d', (SELECT count(*) FROM windows WHERE created_at > now() - interval '90 days'),
    'cases_365d', (SELECT count(*) FROM windows),
    'refunded_90d', (SELECT count(*) FROM windows WHERE created_at > now() - interval '90 days'
                       AND coalesce(final_refund, refund_amount) > 0),
    'abuse_confirmed', (SELECT count(*) FROM mine WHERE abuse_confirmed),
    'refunds', (SELECT coalesce(json_agg(json_build_object('currency', currency, 'refunded_90d', r90,
                                'refunded_365d', r365, 'order_value_365d', v365) ORDER BY currency), '[]'::json)
                FROM (SELECT currency,
                             sum(coalesce(final_refund, refund_amount)) FILTER (WHERE created_at > now() - interval '90 days') AS r90,
                             sum(coalesce(final_refund, refund_amount)) AS r365,
                             sum(order_value) AS v365
                      FROM windows GROUP BY currency) per_currency),
    'categories', (SELECT coalesce(json_agg(json_build_object('category', category, 'cases_90d', n90,
                                   'cases_365d', n365) ORDER BY n365 DESC, category), '[]'::json)
                   FROM (SELECT category,
                                count(*) FILTER (WHERE created_at > now() - interval '90 days') AS n90,
                                count(*) AS n365
                         FROM windows GROUP BY category) per_category),
    'recent_cases', (SELECT coalesce(json_agg(json_build_object('case_id', case_id,
                         'created_at', to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                         'order_id', order_id, 'sku', sku, 'category', category, 'tier', tier,
                         'refund_amount', refund_amount, 'currency', currency, 'outcome', outcome_status)
                         ORDER BY created_at DESC), '[]'::json)
                     FROM (SELECT * FROM mine ORDER BY created_at DESC LIMIT 10) latest),
    'top_category_90d', (SELECT category FROM windows WHERE created_at > now() - interval '90 days'
                         GROUP BY category ORDER BY count(*) DESC, category LIMIT 1),
    'top_currency', (SELECT currency FROM windows GROUP BY currency ORDER BY count(*) DESC, currency LIMIT 1)
)::text
FROM buyers b WHERE b.tenant_id = $1 AND b.buyer_id = $2;

-- name: idempotency_purge
-- Keys are kept at least 24 hours ($1 seconds, never less).
DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => greatest($1::double precision, 86400));

-- name: cost_settings
-- The tenant's and the SKU's cost settings in one row (every column may be empty).
SELECT t.landed_cost_percent, t.outbound_postage_percent, t.return_postage_percent, t.handling_percent,
       t.resale_percent, t.return_insurance,
       s.currency AS sku_currency, s.unit_cost, s.outbound_postage, s.return_postage, s.handling,
       s.resale_percent AS sku_resale_percent, s.compensation_budget_percent AS sku_compensation_budget_percent
FROM (VALUES (1)) AS one (x)
LEFT JOIN tenant_costs t ON t.tenant_id = $1
LEFT JOIN sku_costs s ON s.tenant_id = $1 AND s.sku = $2;

-- name: tenant_costs_upsert
INSERT INTO tenant_costs (tenant_id, landed_cost_percent, outbound_postage_percent, return_postage_percent,
                          handling_percent, resale_percent, return_insurance)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (tenant_id) DO UPDATE SET
    landed_cost_percent = EXCLUDED.landed_cost_percent,
    outbound_postage_percent = EXCLUDED.outbound_postage_percent,
    return_postage_percent = EXCLUDED.return_postage_percent,
    handling_percent = EXCLUDED.handling_percent,
    resale_percent = EXCLUDED.resale_percent,
    return_insurance = EXCLUDED.return_insurance,
    updated_at = now();

-- name: sku_costs_upsert
INSERT INTO sku_costs (tenant_id, sku, currency, unit_cost, outbound_postage, return_postage, handling,
                       resale_percent, compensation_budget_percent)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (tenant_id, sku) DO UPDATE SET
    currency = EXCLUDED.currency, unit_cost = EXCLUDED.unit_cost,
    outbound_postage = EXCLUDED.outbound_postage, return_postage = EXCLUDED.return_postage,
    handling = EXCLUDED.handling, resale_percent = EXCLUDED.resale_percent,
    compensation_budget_percent = EXCLUDED.compensation_budget_percent, updated_at = now();

-- name: api_key_touch
-- "Last used", written at most once a minute per key however often it is
-- used: the worker threads each ask about once a minute, and the condition
-- makes every other ask a no-op.
UPDATE api_keys SET last_used_at = now()
WHERE prefix = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute');

-- name: api_key_list
-- A tenant's keys, oldest first (no row: no such tenant; one row with a null
-- prefix: a tenant without keys). Times in UTC, RFC 3339.
SELECT k.prefix,
       to_char(k.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_at,
       to_char(k.last_used_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS last_used_at,
       to_char(k.revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS revoked_at
FROM tenants t LEFT JOIN api_keys k ON k.tenant_id = t.id
WHERE t.name = $1
ORDER BY k.created_at, k.prefix;

-- name: api_key_revoke
-- Revoke a key (no row: no such key). A key revoked before keeps its time.
WITH revoked AS (
    UPDATE api_keys SET revoked_at = now() WHERE prefix = $1 AND revoked_at IS NULL
    RETURNING prefix, revoked_at
)
SELECT t.name AS tenant, r.prefix IS NOT NULL AS newly_revoked,
       to_char(coalesce(r.revoked_at, k.revoked_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS revoked_at
FROM api_keys k JOIN tenants t ON t.id = k.tenant_id LEFT JOIN revoked r ON r.prefix = k.prefix
WHERE k.prefix = $1;

-- name: policy_current
-- The tenant's current policy version (1: no row, the defaults) and its
-- document only when it is not the version the caller has parsed already
-- ($2; 0 when none): rides in the case's first pipeline.
SELECT coalesce(p.version, 1) AS version,
       CASE WHEN p.version IS DISTINCT FROM $2::integer THEN p.document::text END AS document
FROM (VALUES (1)) AS one (x)
LEFT JOIN LATERAL (SELECT version, document FROM policy_versions WHERE tenant_id = $1
                   ORDER BY version DESC LIMIT 1) p ON true;

-- name: policy_version_get
-- One stored version ($2), or the newest when $2 is 0; no row for version 1.
SELECT version, document::text AS document, note, created_by,
       to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_at
FROM policy_versions
WHERE tenant_id = $1 AND ($2::integer = 0 OR version = $2::integer)
ORDER BY version DESC LIMIT 1;

-- name: policy_insert
-- The next version, only while $2 is the current one (If-Match). Two writers
-- with the same $2: the second waits on the primary key and then fails on it.
INSERT INTO policy_versions (tenant_id, version, document, note, created_by)
SELECT $1, $2::integer + 1, $3::jsonb, $4, $5
WHERE (SELECT coalesce(max(version), 1) FROM policy_versions WHERE tenant_id = $1) = $2::integer
RETURNING version, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_at;

-- name: policy_versions_list
-- Versions below $2, newest first, at most $3; version 1 (the defaults) dates
-- from the tenant's creation.
SELECT version, note, created_by,
       to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_at
FROM (SELECT version, note, created_by, created_at FROM policy_versions WHERE tenant_id = $1
      UNION ALL
      SELECT 1, NULL, NULL, created_at FROM tenants WHERE id = $1) v
WHERE version < $2::integer
ORDER BY version DESC LIMIT $3::integer;

-- name: tenant_created_at
SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_at FROM tenants WHERE id = $1;

-- name: cases_replay_page
-- A page of the tenant's cases in [$2, $3), after ($4, $5) in time order, at
-- most $9, optionally of one category ($6), SKU ($7) or channel ($8): what
-- the simulator replays and what the decision said. What the decision used
-- comes as text columns (include/db.h, DB_REPLAY_HISTORY and
-- DB_REPLAY_INPUT_NUMBERS), each document read once (jsonb_to_record; NULL
-- columns when absent), so the replay parses only the request. Ordered by
-- the table's columns (not the text case_id), so the index gives the order
-- and no sort is needed.
SELECT case_id::text AS case_id, created_at::text AS position, extract(epoch FROM created_at)::bigint AS decided_at,
       request::text AS request, decision_inputs IS NOT NULL AS has_inputs,
       h.cases_90d AS history_cases_90d,
       h.cases_365d AS history_cases_365d,
       h.same_category_90d AS history_same_category_90d,
       h.refunded_90d AS history_refunded_90d,
       h.refunded_amount_365d AS history_refunded_amount_365d,
       h.spent_365d AS history_spent_365d,
       h.not_received_365d AS history_not_received_365d,
       h.abuse_confirmed AS history_abuse_confirmed,
       i.landed_cost_percent AS input_landed_cost_percent,
       i.outbound_postage_percent AS input_outbound_postage_percent,
       i.return_postage_percent AS input_return_postage_percent,
       i.handling_percent AS input_handling_percent,
       i.resale_percent AS input_resale_percent,
       i.return_insurance AS input_return_insurance,
       i.sku_resale_percent AS input_sku_resale_percent,
       i.unit_cost AS input_unit_cost,
       i.outbound_postage AS input_outbound_postage,
       i.return_postage AS input_return_postage,
       i.handling AS input_handling,
       i.sku_currency AS input_sku_currency,
       i.sku_compensation_budget_percent AS account_sku_compensation_budget_percent,
       i.budget_window_days AS account_budget_window_days,
       i.budget_compensation AS account_budget_compensation,
       i.budget_revenue AS account_budget_revenue,
       i.odr_defect_orders AS account_odr_defect_orders,
       i.odr_orders AS account_odr_orders,
       policy_version, tier, primary_action,
       remedy_cost, full_return_cost, currency, category, sku
FROM cases
LEFT JOIN LATERAL jsonb_to_record(coalesce(decision_inputs -> 'history', decision -> 'abuse' -> 'history'))
    AS h(cases_90d text, cases_365d text, same_category_90d text, refunded_90d text, refunded_amount_365d text,
         spent_365d text, not_received_365d text, abuse_confirmed text) ON true
LEFT JOIN LATERAL jsonb_to_record(decision_inputs)
    AS i(landed_cost_percent text, outbound_postage_percent text, return_postage_percent text,
         handling_percent text, resale_percent text, return_insurance text, sku_resale_percent text,
         unit_cost text, outbound_postage text, return_postage text, handling text, sku_currency text,
         sku_compensation_budget_percent text, budget_window_days text, budget_compensation text,
         budget_revenue text, odr_defect_orders text, odr_orders text) ON true
WHERE tenant_id = $1 AND created_at >= $2::timestamptz AND created_at < $3::timestamptz
  AND (created_at, case_id) > ($4::timestamptz, $5::uuid)
  AND ($6::text IS NULL OR category = $6) AND ($7::text IS NULL OR sku = $7) AND ($8::text IS NULL OR channel = $8)
ORDER BY cases.created_at, cases.case_id
LIMIT $9::integer;

-- name: import_lock
-- One import per tenant merges at a time: each recomputes the rollups of the
-- days it touched, which another import may be recomputing too.
SELECT pg_advisory_xact_lock(hashtextextended('import/' || $1::text, 7469811405)) IS NULL AS locked;

-- name: import_merge_order_lines
-- The staged lines ($2) into the tenant's ($1): one row per order and SKU (the
-- newest last-updated-date in the file wins); a stored line changes only for a
-- newer last-updated-date. The days of the new and (previous_purchased_at,
-- set from the row being replaced) old purchase dates go to import_days,
-- whose rollups are then recomputed: no join with the stored lines.
WITH src AS (
    SELECT DISTINCT ON (order_id, sku) *
    FROM import_stage_order_lines WHERE import_id = $2
    ORDER BY order_id, sku, last_updated_at DESC, line DESC
), up AS (
    INSERT INTO order_lines AS o (tenant_id, order_id, sku, purchased_at, last_updated_at, order_status,
                                  item_status, fulfillment, sales_channel, asin, quantity, currency, item_price,
                                  ship_country, cancelled, import_id)
    SELECT $1, order_id, sku, purchased_at, last_updated_at, order_status, item_status, fulfillment,
           sales_channel, asin, quantity, currency, item_price, ship_country, cancelled, $2
    FROM src
    ON CONFLICT (tenant_id, order_id, sku) DO UPDATE
        SET purchased_at = EXCLUDED.purchased_at, last_updated_at = EXCLUDED.last_updated_at,
            order_status = EXCLUDED.order_status, item_status = EXCLUDED.item_status,
            fulfillment = EXCLUDED.fulfillment, sales_channel = EXCLUDED.sales_channel, asin = EXCLUDED.asin,
            quantity = EXCLUDED.quantity, currency = EXCLUDED.currency, item_price = EXCLUDED.item_price,
            ship_country = EXCLUDED.ship_country, cancelled = EXCLUDED.cancelled, import_id = EXCLUDED.import_id,
            previous_purchased_at = o.purchased_at
        WHERE o.last_updated_at < EXCLUDED.last_updated_at
    RETURNING (xmax = 0) AS inserted, purchased_at, previous_purchased_at
), days AS (
    INSERT INTO import_days (import_id, day)
    SELECT DISTINCT $2::uuid, d
    FROM (SELECT (purchased_at AT TIME ZONE 'UTC')::date AS d FROM up
          UNION SELECT (previous_purchased_at AT TIME ZONE 'UTC')::date FROM up
          WHERE previous_purchased_at IS NOT NULL) touched
    ON CONFLICT DO NOTHING
    RETURNING 1
)
SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) FILTER (WHERE NOT inserted) AS updated,
       (SELECT count(*) FROM days) AS days
FROM up;

-- name: import_merge_returns
-- The staged returns into the tenant's: one row per report and return key
-- (the file's last line wins); a stored return changes when anything differs.
WITH src AS (
    SELECT DISTINCT ON (source, return_key) *
    FROM import_stage_returns WHERE import_id = $2
    ORDER BY source, return_key, line DESC
), up AS (
    INSERT INTO returns AS r (tenant_id, source, return_key, order_id, sku, asin, returned_at, quantity, reason,
                              category, status, disposition, currency, refunded_amount, a_to_z_claim, import_id)
    SELECT $1, source, return_key, order_id, sku, asin, returned_at, quantity, reason, category, status,
           disposition, currency, refunded_amount, a_to_z_claim, $2
    FROM src
    ON CONFLICT (tenant_id, source, return_key) DO UPDATE
        SET order_id = EXCLUDED.order_id, sku = EXCLUDED.sku, asin = EXCLUDED.asin,
            returned_at = EXCLUDED.returned_at, quantity = EXCLUDED.quantity, reason = EXCLUDED.reason,
            category = EXCLUDED.category, status = EXCLUDED.status, disposition = EXCLUDED.disposition,
            currency = EXCLUDED.currency, refunded_amount = EXCLUDED.refunded_amount,
            a_to_z_claim = EXCLUDED.a_to_z_claim, import_id = EXCLUDED.import_id,
            previous_returned_at = r.returned_at
        WHERE (r.order_id, r.sku, r.asin, r.returned_at, r.quantity, r.reason, r.category, r.status, r.disposition,
               r.currency, r.refunded_amount, r.a_to_z_claim)
              IS DISTINCT FROM
              (EXCLUDED.order_id, EXCLUDED.sku, EXCLUDED.asin, EXCLUDED.returned_at, EXCLUDED.quantity,
               EXCLUDED.reason, EXCLUDED.category, EXCLUDED.status, EXCLUDED.disposition, EXCLUDED.currency,
               EXCLUDED.refunded_amount, EXCLUDED.a_to_z_claim)
    RETURNING (xmax = 0) AS inserted, returned_at, previous_returned_at
), days AS (
    INSERT INTO import_days (import_id, day)
    SELECT DISTINCT $2::uuid, d
    FROM (SELECT (returned_at AT TIME ZONE 'UTC')::date AS d FROM up
          UNION SELECT (previous_returned_at AT TIME ZONE 'UTC')::date FROM up
          WHERE previous_returned_at IS NOT NULL) touched
    ON CONFLICT DO NOTHING
    RETURNING 1
)
SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) FILTER (WHERE NOT inserted) AS updated,
       (SELECT count(*) FROM days) AS days
FROM up;

-- name: import_merge_events
-- The staged events into the tenant's: one per type and order (the latest
-- `at` wins, then the file's last line); a stored event changes only for one
-- at least as recent that differs. The purchase days of their orders go to
-- import_days (an order not imported yet counts once its lines arrive).
WITH src AS (
    SELECT DISTINCT ON (type, order_id) *
    FROM import_stage_events WHERE import_id = $2
    ORDER BY type, order_id, at DESC, line DESC
), up AS (
    INSERT INTO account_events AS a (tenant_id, type, order_id, at, status, counts, import_id)
    SELECT $1, type, order_id, at, status, counts, $2 FROM src
    ON CONFLICT (tenant_id, type, order_id) DO UPDATE
        SET at = EXCLUDED.at, status = EXCLUDED.status, counts = EXCLUDED.counts, import_id = EXCLUDED.import_id
        WHERE EXCLUDED.at >= a.at
          AND (a.at, a.status, a.counts) IS DISTINCT FROM (EXCLUDED.at, EXCLUDED.status, EXCLUDED.counts)
    RETURNING (xmax = 0) AS inserted, order_id
), days AS (
    INSERT INTO import_days (import_id, day)
    SELECT DISTINCT $2::uuid, (l.purchased_at AT TIME ZONE 'UTC')::date
    FROM order_lines l JOIN (SELECT DISTINCT order_id FROM up) u ON l.order_id = u.order_id
    WHERE l.tenant_id = $1
    ON CONFLICT DO NOTHING
    RETURNING 1
)
SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) FILTER (WHERE NOT inserted) AS updated,
       (SELECT count(*) FROM days) AS days
FROM up;

-- name: import_sales_clear
DELETE FROM sales_daily s USING import_days d WHERE s.tenant_id = $1 AND d.import_id = $2 AND s.day = d.day;

-- name: import_sales_rollup
-- Sales per day, SKU and currency of the days the import touched; cancelled
-- lines and lines without a price sell nothing.
INSERT INTO sales_daily (tenant_id, day, sku, currency, asin, orders, units_sold, revenue)
SELECT $1, d.day, o.sku, o.currency, max(o.asin), count(DISTINCT o.order_id), sum(o.quantity), sum(o.item_price)
FROM import_days d
JOIN order_lines o ON o.tenant_id = $1 AND o.purchased_at >= d.day::timestamp AT TIME ZONE 'UTC'
                  AND o.purchased_at < (d.day + 1)::timestamp AT TIME ZONE 'UTC'
WHERE d.import_id = $2 AND NOT o.cancelled AND o.item_price IS NOT NULL AND o.currency IS NOT NULL
GROUP BY d.day, o.sku, o.currency;

-- name: import_returns_clear
DELETE FROM returns_daily r USING import_days d WHERE r.tenant_id = $1 AND d.import_id = $2 AND r.day = d.day;

-- name: import_returns_rollup
INSERT INTO returns_daily (tenant_id, day, sku, category, returns, units_returned)
SELECT $1, d.day, r.sku, r.category, count(*), sum(r.quantity)
FROM import_days d
JOIN returns r ON r.tenant_id = $1 AND r.returned_at >= d.day::timestamp AT TIME ZONE 'UTC'
              AND r.returned_at < (d.day + 1)::timestamp AT TIME ZONE 'UTC'
WHERE d.import_id = $2
GROUP BY d.day, r.sku, r.category;

-- name: import_health_clear
DELETE FROM health_daily h USING import_days d WHERE h.tenant_id = $1 AND d.import_id = $2 AND h.day = d.day;

-- name: import_health_rollup
-- Orders per purchase day and fulfilment channel, with what their events say.
-- An order is cancelled when all its lines are.
WITH orders AS (
    SELECT d.day, o.order_id, min(o.fulfillment) AS fulfillment, bool_and(o.cancelled) AS cancelled
    FROM import_days d
    JOIN order_lines o ON o.tenant_id = $1 AND o.purchased_at >= d.day::timestamp AT TIME ZONE 'UTC'
                      AND o.purchased_at < (d.day + 1)::timestamp AT TIME ZONE 'UTC'
    WHERE d.import_id = $2
    GROUP BY d.day, o.order_id
), flagged AS (
    SELECT o.day, o.fulfillment, o.cancelled,
           coalesce(bool_or(e.type = 'negative_feedback' AND e.counts), false) AS negative_feedback,
           coalesce(bool_or(e.type = 'a_to_z_claim' AND e.counts), false) AS a_to_z,
           coalesce(bool_or(e.type = 'chargeback' AND e.counts), false) AS chargeback,
           coalesce(bool_or(e.type = 'late_shipment' AND e.counts), false) AS late,
           coalesce(bool_or(e.type = 'seller_cancellation' AND e.counts), false) AS seller_cancelled,
           coalesce(bool_or(e.type = 'valid_tracking' AND e.counts), false) AS valid_tracking
    FROM orders o LEFT JOIN account_events e ON e.tenant_id = $1 AND e.order_id = o.order_id
    GROUP BY o.day, o.order_id, o.fulfillment, o.cancelled
)
INSERT INTO health_daily (tenant_id, day, fulfillment, orders, cancelled_orders, defect_orders,
                          negative_feedback_orders, a_to_z_orders, chargeback_orders, late_shipment_orders,
                          seller_cancelled_orders, valid_tracking_orders)
SELECT $1, day, fulfillment, count(*), count(*) FILTER (WHERE cancelled),
       count(*) FILTER (WHERE negative_feedback OR a_to_z OR chargeback),
       count(*) FILTER (WHERE negative_feedback), count(*) FILTER (WHERE a_to_z),
       count(*) FILTER (WHERE chargeback), count(*) FILTER (WHERE late),
       count(*) FILTER (WHERE seller_cancelled), count(*) FILTER (WHERE valid_tracking)
FROM flagged
GROUP BY day, fulfillment;

-- name: import_stage_clear
-- Before COMMIT: the staged rows never outlive their import.
WITH lines AS (DELETE FROM import_stage_order_lines WHERE import_id = $1),
     rets AS (DELETE FROM import_stage_returns WHERE import_id = $1),
     events AS (DELETE FROM import_stage_events WHERE import_id = $1)
DELETE FROM import_days WHERE import_id = $1;

-- name: import_record
-- The import's answer, as GET /v1/imports shows it ($12: rejected rows, JSON).
INSERT INTO imports (tenant_id, import_id, kind, status, content_sha256, bytes, rows_read, inserted, updated,
                     skipped, rejected, rejected_rows, error, created_by, started_at, finished_at)
VALUES ($1, $2, $3, $4, decode($5, 'hex'), $6, $7, $8, $9, $10, $11, $12::jsonb, $13, $14, $15, clock_timestamp())
RETURNING to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS finished_at;

-- name: imports_list
-- Newest first, after the import named by $2 (NULL: from the newest); $3 rows.
SELECT import_id, kind, status, encode(content_sha256, 'hex') AS content_sha256, bytes, rows_read, inserted,
       updated, skipped, rejected, rejected_rows::text AS rejected_rows, error, created_by,
       to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS started_at,
       to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS finished_at
FROM imports
WHERE tenant_id = $1
  AND ($2::uuid IS NULL OR (started_at, import_id) < (SELECT started_at, import_id FROM imports
                                                       WHERE tenant_id = $1 AND import_id = $2::uuid))
ORDER BY started_at DESC, import_id DESC
LIMIT $3::integer;

-- name: import_get
SELECT import_id, kind, status, encode(content_sha256, 'hex') AS content_sha256, bytes, rows_read, inserted,
       updated, skipped, rejected, rejected_rows::text AS rejected_rows, error, created_by,
       to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS started_at,
       to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS finished_at
FROM imports WHERE tenant_id = $1 AND import_id = $2::uuid;

-- name: report_case_summary
-- The window's cases from the case rollups, read as the window's cover
-- (cases_in: the loose days $2, whole weeks $3 and whole months $4):
-- per currency, for each dimension (category, tier, responsibility,
-- primary_action) and in total ('total', name ''), with each group's
-- rank by compensation cost within its dimension and currency (the top
-- reasons are the category rows ranked 1..10). The window's rows are
-- summed once by every dimension (a few hundred groups at most), and the
-- grouping sets run over those: one pass over the rollup, not five.
SELECT d.dimension, d.name, d.currency, d.cases, d.compensation_cost, d.full_return_cost, d.refund_amount,
       row_number() OVER (PARTITION BY d.dimension, d.currency
                          ORDER BY d.compensation_cost DESC, d.cases DESC, d.name) AS cost_rank
FROM (
    SELECT CASE WHEN GROUPING(category) = 0 THEN 'category' WHEN GROUPING(tier) = 0 THEN 'tier'
                WHEN GROUPING(responsibility) = 0 THEN 'responsibility'
                WHEN GROUPING(primary_action) = 0 THEN 'primary_action' ELSE 'total' END AS dimension,
           coalesce(category, tier, responsibility, primary_action, '') AS name, currency,
           sum(cases)::bigint AS cases, sum(remedy_cost)::bigint AS compensation_cost,
           sum(full_return_cost)::bigint AS full_return_cost, sum(refund_amount)::bigint AS refund_amount
    FROM (SELECT currency::text AS currency, category, tier, responsibility, primary_action,
                 sum(cases)::bigint AS cases, sum(remedy_cost)::bigint AS remedy_cost,
                 sum(full_return_cost)::bigint AS full_return_cost, sum(refund_amount)::bigint AS refund_amount
          FROM cases_in($1, $2::date[], $3::date[], $4::date[])
          GROUP BY 1, 2, 3, 4, 5) AS groups
    GROUP BY GROUPING SETS ((currency, category), (currency, tier), (currency, responsibility),
                            (currency, primary_action), (currency))
) AS d
ORDER BY d.dimension, d.name, d.currency;

-- name: report_outcome_summary
-- The standing outcomes of the window's cases (outcome_daily, by the
-- case's day): counts by status, review outcome and whether the order was
-- kept, and in total ('total').
SELECT CASE WHEN GROUPING(status) = 0 THEN 'status' WHEN GROUPING(review_outcome) = 0 THEN 'review_outcome'
            WHEN GROUPING(order_retained) = 0 THEN 'order_retained' ELSE 'total' END AS dimension,
       coalesce(status, review_outcome, order_retained, '') AS name, sum(cases)::bigint AS cases
FROM (SELECT status, review_outcome, order_retained, sum(cases)::bigint AS cases
      FROM outcome_daily
      WHERE tenant_id = $1 AND day BETWEEN $2::date AND $3::date
      GROUP BY 1, 2, 3) AS groups
GROUP BY GROUPING SETS ((status), (review_outcome), (order_retained), ())
ORDER BY 1, 2;

-- name: report_skus
-- One page of the SKU report over the window of tenant $1: per SKU and
-- currency, sales beside cases; the SKU's
-- returns (which have no currency) go to its row with the
-- most units sold (then the most cases, then the currency code: counts, so
-- that no amounts of two currencies are compared).
-- top_reason: the category with the most compensation among the row's
-- cases, else (the returns' row) the most returned one. Sorted by $2
-- (cost_rate | return_rate | cost | cases, descending, no value last),
-- ties by SKU (byte order) and currency; $3 rows from offset $4. Rates are compared as
-- float8 (a quotient of integers rounds the same for equal fractions).
-- Sales and returns are read as the window's cover (include/days.h,
-- sales_in and returns_in of migration 0009): the days $5 from the daily
-- rows, the weeks $6 and months $7 from the spans, so that 13 months are
-- about 13 rows per SKU, not 400; cases likewise (case_skus_in).
WITH sales AS (
    SELECT sku, currency::text AS currency, max(nullif(asin, '')) AS asin,
           sum(units_sold)::bigint AS units_sold, sum(revenue)::bigint AS revenue
    FROM sales_in($1, $5::date[], $6::date[], $7::date[])
    GROUP BY sku, currency
), case_categories AS (
    SELECT sku, currency::text AS currency, category, sum(cases)::bigint AS cases,
           sum(orders_with_case)::bigint AS orders_with_case, sum(remedy_cost)::bigint AS cost
    FROM case_skus_in($1, $5::date[], $6::date[], $7::date[])
    GROUP BY sku, currency, category
), case_rows AS (
    SELECT sku, currency, sum(cases)::bigint AS cases, sum(orders_with_case)::bigint AS orders_with_case,
           sum(cost)::bigint AS cost, (array_agg(category ORDER BY cost DESC, cases DESC, category))[1] AS top_reason
    FROM case_categories
    GROUP BY sku, currency
), return_categories AS (
    SELECT sku, category, sum(units_returned)::bigint AS units
    FROM returns_in($1, $5::date[], $6::date[], $7::date[])
    GROUP BY sku, category
), return_rows AS (
    SELECT sku, sum(units)::bigint AS units_returned,
           (array_agg(category ORDER BY units DESC, category))[1] AS top_reason
    FROM return_categories
    GROUP BY sku
), money_rows AS (
    SELECT coalesce(s.sku, c.sku) AS sku, coalesce(s.currency, c.currency) AS currency, s.asin,
           coalesce(s.units_sold, 0) AS units_sold, coalesce(s.revenue, 0) AS revenue,
           coalesce(c.cases, 0) AS cases, coalesce(c.orders_with_case, 0) AS orders_with_case,
           coalesce(c.cost, 0) AS cost, c.top_reason,
           row_number() OVER (PARTITION BY coalesce(s.sku, c.sku)
                              ORDER BY coalesce(s.units_sold, 0) DESC, coalesce(c.cases, 0) DESC,
                                       coalesce(s.currency, c.currency)) AS money_rank
    FROM sales s FULL JOIN case_rows c ON c.sku = s.sku AND c.currency = s.currency
), report AS (
    SELECT coalesce(m.sku, r.sku) AS sku, m.currency,
           coalesce(m.asin, max(m.asin) OVER (PARTITION BY m.sku)) AS asin,
           coalesce(m.units_sold, 0) AS units_sold, coalesce(m.revenue, 0) AS revenue,
           coalesce(m.orders_with_case, 0) AS orders_with_case, coalesce(m.cases, 0) AS cases,
           coalesce(r.units_returned, 0) AS units_returned, coalesce(m.cost, 0) AS compensation_cost,
           coalesce(m.top_reason, r.top_reason) AS top_reason
    FROM (SELECT *, CASE WHEN money_rank = 1 THEN sku END AS returns_sku FROM money_rows) AS m
    FULL JOIN return_rows r ON r.sku = m.returns_sku
)
SELECT report.*, k.compensation_budget_percent AS sku_budget_percent, count(*) OVER () AS total_rows
FROM report
LEFT JOIN sku_costs k ON k.tenant_id = $1 AND k.sku = report.sku
ORDER BY CASE WHEN $2::text = 'cost_rate' THEN compensation_cost::float8 / nullif(revenue, 0) END DESC NULLS LAST,
         CASE WHEN $2::text = 'return_rate' THEN units_returned::float8 / nullif(units_sold, 0) END DESC NULLS LAST,
         CASE WHEN $2::text = 'cost' THEN compensation_cost END DESC,
         CASE WHEN $2::text = 'cases' THEN cases END DESC,
         report.sku COLLATE "C", report.currency NULLS FIRST
LIMIT $3::integer OFFSET $4::integer;

-- name: report_health_days
-- Orders and their defects per day (counted from $2) and channel, from $2
-- to $3 (health_daily): the account-health report sums each metric's
-- windows from these in C.
SELECT day - $2::date AS day_index, fulfillment, orders, cancelled_orders, defect_orders, negative_feedback_orders,
       a_to_z_orders, chargeback_orders, late_shipment_orders, seller_cancelled_orders, valid_tracking_orders
FROM health_daily
WHERE tenant_id = $1 AND day BETWEEN $2::date AND $3::date
ORDER BY day, fulfillment;

-- name: report_response_days
-- Cases and how fast they were first answered, per day from $2 to $3.
SELECT day - $2::date AS day_index, cases, answered, answered_within_24h
FROM response_daily
WHERE tenant_id = $1 AND day BETWEEN $2::date AND $3::date
ORDER BY day;

-- name: case_account
-- What the account's own data says about a case, in its first round trip
-- (migrations 0009, 0010): the SKU's compensation (case rollups) and revenue
-- (sales rollups) in the case's currency ($3) over the budget window of the
-- tenant's current policy (costs.budget_window_days; $4, version 1's, when
-- the document does not name it), and the order defect rate's counts over
-- the last $5 days, every channel. A window of N days is the N UTC days
-- that end today. The reader compares window_days with the policy it
-- decides with (a version written meanwhile may differ).
WITH budget AS (
    SELECT w.window_days, (now() AT TIME ZONE 'UTC')::date - w.window_days + 1 AS since
    FROM (SELECT coalesce((SELECT (p.document -> 'costs' ->> 'budget_window_days')::integer
                           FROM policy_versions p WHERE p.tenant_id = $1 ORDER BY p.version DESC LIMIT 1),
                          $4::integer) AS window_days) w
)
SELECT b.window_days,
       (SELECT coalesce(sum(remedy_cost), 0) FROM case_sku_daily
        WHERE tenant_id = $1 AND sku = $2 AND currency = $3 AND day >= b.since) AS compensation,
       (SELECT coalesce(sum(revenue), 0) FROM sales_daily
        WHERE tenant_id = $1 AND sku = $2 AND currency = $3 AND day >= b.since) AS revenue,
       h.defect_orders AS odr_defect_orders, h.orders AS odr_orders
FROM budget b,
     LATERAL (SELECT coalesce(sum(defect_orders), 0) AS defect_orders, coalesce(sum(orders), 0) AS orders
              FROM health_daily
              WHERE tenant_id = $1 AND day >= (now() AT TIME ZONE 'UTC')::date - $5::integer + 1) h;

-- name: import_sales_spans_clear
-- The weeks and months of the days an import touched: their sums are made
-- again from the days (import_sales_spans).
DELETE FROM sales_span s
USING (SELECT DISTINCT p.span, p.start
       FROM import_days d,
            LATERAL (VALUES ('w', date_trunc('week', d.day)::date), ('m', date_trunc('month', d.day)::date))
                AS p (span, start)
       WHERE d.import_id = $2) AS p
WHERE s.tenant_id = $1 AND s.span = p.span AND s.start = p.start;

-- name: import_sales_spans
INSERT INTO sales_span (tenant_id, span, start, sku, currency, asin, orders, units_sold, revenue)
SELECT $1, p.span, p.start, s.sku, s.currency, max(s.asin), sum(s.orders), sum(s.units_sold), sum(s.revenue)
FROM (SELECT DISTINCT p.span, p.start,
             CASE p.span WHEN 'w' THEN p.start + 7 ELSE (p.start + interval '1 month')::date END AS stop
      FROM import_days d,
           LATERAL (VALUES ('w', date_trunc('week', d.day)::date), ('m', date_trunc('month', d.day)::date))
               AS p (span, start)
      WHERE d.import_id = $2) AS p
JOIN sales_daily s ON s.tenant_id = $1 AND s.day >= p.start AND s.day < p.stop
GROUP BY p.span, p.start, s.sku, s.currency;

-- name: import_returns_spans_clear
DELETE FROM returns_span r
USING (SELECT DISTINCT p.span, p.start
       FROM import_days d,
            LATERAL (VALUES ('w', date_trunc('week', d.day)::date), ('m', date_trunc('month', d.day)::date))
                AS p (span, start)
       WHERE d.import_id = $2) AS p
WHERE r.tenant_id = $1 AND r.span = p.span AND r.start = p.start;

-- name: import_returns_spans
INSERT INTO returns_span (tenant_id, span, start, sku, category, returns, units_returned)
SELECT $1, p.span, p.start, r.sku, r.category, sum(r.returns), sum(r.units_returned)
FROM (SELECT DISTINCT p.span, p.start,
             CASE p.span WHEN 'w' THEN p.start + 7 ELSE (p.start + interval '1 month')::date END AS stop
      FROM import_days d,
           LATERAL (VALUES ('w', date_trunc('week', d.day)::date), ('m', date_trunc('month', d.day)::date))
               AS p (span, start)
      WHERE d.import_id = $2) AS p
JOIN returns_daily r ON r.tenant_id = $1 AND r.day >= p.start AND r.day < p.stop
GROUP BY p.span, p.start, r.sku, r.category;

-- name: message_case
-- Lock the case (one writer numbers its messages at a time, as for its
-- outcomes) and read what the compliance guard needs: the marketplace
-- channel and the case's own identifiers. No row: no such case here.
SELECT channel, order_id, sku, request->>'ticket_id' AS ticket_id
FROM cases WHERE tenant_id = $1 AND case_id = $2 FOR UPDATE;

-- name: message_next_seq
-- After message_case, in the same transaction (its own snapshot, taken once
-- the lock is granted): nobody else numbers meanwhile.
SELECT coalesce(max(seq), 0) + 1 AS seq FROM case_messages WHERE tenant_id = $1 AND case_id = $2;

-- name: message_insert
-- Message $4 (the id the service made) as number $3 of case $2, and, when
-- the request had a key ($10), the response to replay ($12, byte for byte).
WITH ins AS (
    INSERT INTO case_messages (tenant_id, case_id, seq, message_id, sender, at, channel, body, compliance)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)
    RETURNING tenant_id, case_id
)
INSERT INTO idempotency_keys (tenant_id, key, request_hash, case_id, response_status, response_body)
SELECT tenant_id, $10, $11::bytea, case_id, 201, $12::text FROM ins WHERE $10::text IS NOT NULL;

-- name: message_exists
-- Whether a message the service made (by its id) was recorded.
SELECT 1 FROM case_messages WHERE tenant_id = $1 AND message_id = $2;

-- name: case_messages
-- The case's conversation in order (`at`, then recording order), each as
-- POST /v1/cases/{id}/messages answered it; `compliance` on seller messages.
SELECT coalesce(json_agg(jsonb_build_object(
           'message_id', message_id, 'case_id', case_id, 'from', sender,
           'at', to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 'channel', channel, 'text', body)
           || CASE WHEN compliance IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('compliance', compliance) END
           ORDER BY at, seq), '[]'::json)::text AS messages
FROM case_messages WHERE tenant_id = $1 AND case_id = $2;

-- name: connector_settings_get
SELECT settings::text AS settings, secrets::text AS secrets
FROM connector_settings
WHERE tenant_id = $1 AND connector = $2;

-- name: connector_settings_put
-- $4: secrets to set (name -> sealed hex), $5: names to clear; the others stay.
INSERT INTO connector_settings (tenant_id, connector, settings, secrets)
VALUES ($1, $2, $3::jsonb, $4::jsonb - $5::text[])
ON CONFLICT (tenant_id, connector) DO UPDATE
SET settings = EXCLUDED.settings,
    secrets = (connector_settings.secrets || $4::jsonb) - $5::text[],
    updated_at = now()
RETURNING secrets::text AS secrets;

-- name: case_ticket_insert
-- A case that came of a helpdesk ticket, after case_insert in its
-- transaction: the ticket's link to it, the message received (number 1,
-- from the buyer) when $5 names one, and the note owed to the helpdesk
-- (the outbox row, connector_deliveries) when $9 names one. The primary
-- key of case_tickets lets one case only come of a ticket.
WITH link AS (
    INSERT INTO case_tickets (tenant_id, connector, ticket_id, case_id)
    VALUES ($1, $2, $3, $4)
    RETURNING tenant_id, case_id
), received AS (
    INSERT INTO case_messages (tenant_id, case_id, seq, message_id, sender, at, channel, body)
    SELECT tenant_id, case_id, 1, $5::uuid, 'buyer', $6::timestamptz, $7, $8 FROM link WHERE $5::uuid IS NOT NULL
), owed AS (
    INSERT INTO connector_deliveries (tenant_id, delivery_id, connector, case_id, ticket_id, payload)
    SELECT tenant_id, $9::uuid, $2, case_id, $3, $10::jsonb FROM link WHERE $9::uuid IS NOT NULL
)
SELECT case_id FROM link;

-- name: case_ticket_lookup
-- Which case a ticket became, if any.
SELECT case_id FROM case_tickets WHERE tenant_id = $1 AND connector = $2 AND ticket_id = $3;

-- name: outbox_claim
-- The delivery worker takes the soonest due row no one holds: a lease of
-- $1 seconds (another process takes it again only once the lease ran out)
-- and one more attempt, committed before the call goes out. check_first:
-- an earlier attempt may have landed (an unknown outcome, or a lease that
-- ran out: its worker stopped mid-call).
WITH due AS (
    SELECT tenant_id, delivery_id, lease_until, unsure
    FROM connector_deliveries
    WHERE state = 'pending' AND next_attempt_at <= now() AND (lease_until IS NULL OR lease_until < now())
    ORDER BY next_attempt_at
    LIMIT 1
    FOR UPDATE SKIP LOCKED
)
UPDATE connector_deliveries d
SET lease_until = now() + make_interval(secs => $1::double precision), attempts = d.attempts + 1
FROM due
WHERE d.tenant_id = due.tenant_id AND d.delivery_id = due.delivery_id
RETURNING d.tenant_id, d.delivery_id::text AS delivery_id, d.connector, d.ticket_id, d.payload::text AS payload,
          d.attempts, (due.unsure OR due.lease_until IS NOT NULL) AS check_first,
          extract(epoch FROM now() - d.created_at)::float8 AS age_s;

-- name: outbox_record
-- What an attempt came to ($3: pending, delivered or failed); the lease
-- ends. $6: this attempt's outcome is unknown (sticky). $7: seconds until
-- the next attempt, when still pending. $8: the attempts the claim counted:
-- a worker whose lease ran out, and whose row was claimed again, updates
-- nothing (the newer attempt's result stands).
UPDATE connector_deliveries
SET state = $3, last_status = $4::integer, last_error = $5, unsure = unsure OR $6::boolean,
    next_attempt_at = CASE WHEN $3 = 'pending' THEN now() + make_interval(secs => $7::double precision)
                           ELSE next_attempt_at END,
    delivered_at = CASE WHEN $3 = 'delivered' THEN now() END,
    lease_until = NULL
WHERE tenant_id = $1 AND delivery_id = $2::uuid AND state = 'pending' AND attempts = $8::integer;

-- name: outbox_next_due
-- Milliseconds until the soonest pending row may be claimed (NULL: none).
SELECT (extract(epoch FROM min(greatest(next_attempt_at, coalesce(lease_until, next_attempt_at))) - now())
        * 1000)::bigint AS wait_ms
FROM connector_deliveries WHERE state = 'pending';

-- name: deliveries_page
-- A tenant's deliveries of a connector, newest first, after the one named
-- by $4 (NULL: from the newest), in state $3 (NULL: any); $5 rows.
SELECT delivery_id::text AS delivery_id, case_id::text AS case_id, ticket_id, state, attempts, last_status,
       last_error,
       to_char(next_attempt_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS next_attempt_at,
       to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at,
       to_char(delivered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS delivered_at
FROM connector_deliveries
WHERE tenant_id = $1 AND connector = $2 AND ($3::text IS NULL OR state = $3)
  AND ($4::uuid IS NULL OR (created_at, delivery_id) < (SELECT created_at, delivery_id FROM connector_deliveries
                                                         WHERE tenant_id = $1 AND connector = $2
                                                           AND delivery_id = $4::uuid))
ORDER BY created_at DESC, delivery_id DESC
LIMIT $5::integer;

-- name: delivery_exists
SELECT 1 AS found FROM connector_deliveries WHERE tenant_id = $1 AND connector = $2 AND delivery_id = $3::uuid;

-- name: outbox_push_back
-- After an attempt for tenant $1's connector $2 got no answer, its other
-- pending rows wait as long as row $3 does ($4 seconds): one tenant's
-- unreachable helpdesk does not hold the workers from the others' notes.
UPDATE connector_deliveries
SET next_attempt_at = greatest(next_attempt_at, now() + make_interval(secs => $4::double precision))
WHERE tenant_id = $1 AND connector = $2 AND state = 'pending' AND delivery_id <> $3::uuid;

-- name: cases_search
-- The console's case search (GET /v1/cases): the tenant's cases newest
-- first, optionally of one buyer ($2), order ($3), helpdesk ticket ($4) or
-- SKU ($5), older than the cursor ($6 microseconds since the epoch, $7 the
-- case id: the last case of the page before), at most $8. One row more is
-- read to know whether a next page exists; `next` is then the cursor of
-- the page's last case, else NULL. The page comes as one JSON array.
WITH page AS (
    SELECT c.case_id, c.created_at, c.order_id, c.sku, c.buyer_id, c.request->>'ticket_id' AS ticket_id,
           c.category, c.tier, c.primary_action, c.refund_amount, c.currency, c.outcome_status,
           row_number() OVER (ORDER BY c.created_at DESC, c.case_id DESC) AS n
    FROM cases c
    WHERE c.tenant_id = $1
      AND ($2::text IS NULL OR c.buyer_id = $2)
      AND ($3::text IS NULL OR c.order_id = $3)
      AND ($4::text IS NULL OR (c.request ? 'ticket_id' AND c.request->>'ticket_id' = $4))
      AND ($5::text IS NULL OR c.sku = $5)
      AND ($6::bigint IS NULL
           OR (c.created_at, c.case_id) < (timestamptz 'epoch' + $6::bigint * interval '1 microsecond', $7::uuid))
    ORDER BY c.created_at DESC, c.case_id DESC
    LIMIT $8::int + 1
)
SELECT coalesce((SELECT json_agg(json_build_object(
                     'case_id', p.case_id,
                     'created_at', to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                     'order_id', p.order_id, 'sku', p.sku, 'buyer_id', p.buyer_id, 'ticket_id', p.ticket_id,
                     'category', p.category, 'tier', p.tier, 'primary_action', p.primary_action,
                     'refund_amount', p.refund_amount, 'currency', p.currency, 'outcome', p.outcome_status)
                     ORDER BY p.n)
                 FROM page p WHERE p.n <= $8), '[]')::text AS cases,
       (SELECT (extract(epoch FROM p.created_at) * 1000000)::bigint::text || '.' || p.case_id::text
        FROM page p WHERE p.n = $8 AND EXISTS (SELECT 1 FROM page q WHERE q.n = $8 + 1)) AS next;

-- name: session_insert
-- A new session for key $3 of tenant $2, stored by its token's digest $1,
-- valid $4 minutes. Its expiry in UTC, RFC 3339.
INSERT INTO sessions (token_digest, tenant_id, key_prefix, expires_at)
VALUES ($1::bytea, $2, $3, now() + make_interval(mins => $4::integer))
RETURNING to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS expires_at;

-- name: session_lookup
-- The live session with token digest $1: not expired, not revoked, and its
-- API key not revoked (no row otherwise). Asked on every cookie request.
SELECT t.id, t.name, s.key_prefix,
       to_char(s.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS expires_at
FROM sessions s
JOIN api_keys k ON k.prefix = s.key_prefix
JOIN tenants t ON t.id = s.tenant_id
WHERE s.token_digest = $1::bytea AND s.revoked_at IS NULL AND s.expires_at > now() AND k.revoked_at IS NULL;

-- name: session_revoke
UPDATE sessions SET revoked_at = now() WHERE token_digest = $1::bytea AND revoked_at IS NULL;

-- name: sessions_purge
-- Sessions past their expiry (revoked ones included): refused anyway.
DELETE FROM sessions WHERE expires_at < now();
