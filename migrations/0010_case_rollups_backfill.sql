-- The case rollups of migration 0009 (case_daily, case_sku_daily,
-- outcome_daily, response_daily), filled from the cases and outcomes
-- already recorded. From here on the statements that record cases and
-- outcomes (case_insert, outcome_insert in service/db/statements.sql) keep
-- them, by the same definitions:
--   * a case counts on its created_at UTC day;
--   * orders_with_case counts a case when it is the first of its tenant,
--     order and SKU (the earliest by created_at, then case_id);
--   * outcome_daily holds each case once, under the outcome that stands
--     (the highest revision), with final_refund, or the decision's
--     refund_amount when that outcome names none;
--   * response_daily.answered counts cases with an outcome; within 24 h
--     when the first (revision 1) was recorded at most 24 h after the case.
-- The tables are emptied first, so that the result is what the recorded
-- rows say, whatever was there: running the file again changes nothing.
--
-- Every case of a tenant adds to the same few rows of case_daily,
-- outcome_daily and response_daily (one response_daily row a day), and a
-- row an uncommitted transaction updated stays locked until its COMMIT is
-- on disk: concurrent cases of one tenant would commit one at a time (half
-- the throughput, measured). So those rows are split by `shard`, the
-- writing connection's backend pid modulo 64: concurrent connections
-- (almost always) write different rows and commit together. A key's value
-- is the sum over its shards (a shard alone may even be negative, where an
-- outcome moved a case counted in another); readers sum, as the reports
-- do. case_sku_daily is per SKU, which spreads its writes already.

ALTER TABLE case_daily ADD COLUMN IF NOT EXISTS shard smallint NOT NULL DEFAULT 0,
    DROP CONSTRAINT IF EXISTS case_daily_pkey,
    ADD PRIMARY KEY (tenant_id, day, currency, category, tier, responsibility, primary_action, shard);
ALTER TABLE outcome_daily ADD COLUMN IF NOT EXISTS shard smallint NOT NULL DEFAULT 0,
    DROP CONSTRAINT IF EXISTS outcome_daily_pkey,
    ADD PRIMARY KEY (tenant_id, day, currency, status, review_outcome, order_retained, shard);
ALTER TABLE response_daily ADD COLUMN IF NOT EXISTS shard smallint NOT NULL DEFAULT 0,
    DROP CONSTRAINT IF EXISTS response_daily_pkey,
    ADD PRIMARY KEY (tenant_id, day, shard);

TRUNCATE case_daily, case_sku_daily, outcome_daily, response_daily, case_span, case_sku_span;

INSERT INTO case_daily (tenant_id, day, currency, category, tier, responsibility, primary_action, cases,
                        remedy_cost, full_return_cost, refund_amount)
SELECT tenant_id, (created_at AT TIME ZONE 'UTC')::date, currency, category, tier, responsibility, primary_action,
       count(*), sum(remedy_cost), sum(full_return_cost), sum(refund_amount)
FROM cases
GROUP BY 1, 2, 3, 4, 5, 6, 7;

INSERT INTO case_sku_daily (tenant_id, day, sku, currency, category, cases, orders_with_case, remedy_cost,
                            full_return_cost)
SELECT tenant_id, day, sku, currency, category, count(*), count(*) FILTER (WHERE first_of_order),
       sum(remedy_cost), sum(full_return_cost)
FROM (SELECT tenant_id, (created_at AT TIME ZONE 'UTC')::date AS day, sku, currency, category, remedy_cost,
             full_return_cost,
             row_number() OVER (PARTITION BY tenant_id, order_id, sku ORDER BY created_at, case_id) = 1
                 AS first_of_order
      FROM cases) c
GROUP BY 1, 2, 3, 4, 5;

-- Their ISO weeks and months (migration 0009's spans), summed from the days.
INSERT INTO case_span (tenant_id, span, start, currency, category, tier, responsibility, primary_action, shard,
                       cases, remedy_cost, full_return_cost, refund_amount)
SELECT d.tenant_id, p.span, p.start, d.currency, d.category, d.tier, d.responsibility, d.primary_action, d.shard,
       sum(d.cases), sum(d.remedy_cost), sum(d.full_return_cost), sum(d.refund_amount)
FROM case_daily d,
     LATERAL (VALUES ('w', date_trunc('week', d.day)::date), ('m', date_trunc('month', d.day)::date)) AS p (span, start)
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9;

INSERT INTO case_sku_span (tenant_id, span, start, sku, currency, category, cases, orders_with_case, remedy_cost,
                           full_return_cost)
SELECT d.tenant_id, p.span, p.start, d.sku, d.currency, d.category, sum(d.cases), sum(d.orders_with_case),
       sum(d.remedy_cost), sum(d.full_return_cost)
FROM case_sku_daily d,
     LATERAL (VALUES ('w', date_trunc('week', d.day)::date), ('m', date_trunc('month', d.day)::date)) AS p (span, start)
GROUP BY 1, 2, 3, 4, 5, 6;

INSERT INTO outcome_daily (tenant_id, day, currency, status, review_outcome, order_retained, cases, final_refund)
SELECT c.tenant_id, (c.created_at AT TIME ZONE 'UTC')::date, c.currency, o.status, o.review_outcome,
       CASE WHEN o.order_retained THEN 'yes' WHEN NOT o.order_retained THEN 'no' ELSE 'unknown' END,
       count(*), sum(coalesce(o.final_refund, c.refund_amount))
FROM cases c
JOIN (SELECT DISTINCT ON (tenant_id, case_id) tenant_id, case_id, status, review_outcome, order_retained,
             final_refund
      FROM outcomes ORDER BY tenant_id, case_id, revision DESC) o
  ON o.tenant_id = c.tenant_id AND o.case_id = c.case_id
GROUP BY 1, 2, 3, 4, 5, 6;

INSERT INTO response_daily (tenant_id, day, cases, answered, answered_within_24h)
SELECT c.tenant_id, (c.created_at AT TIME ZONE 'UTC')::date, count(*), count(f.recorded_at),
       count(*) FILTER (WHERE f.recorded_at <= c.created_at + interval '24 hours')
FROM cases c
LEFT JOIN outcomes f ON f.tenant_id = c.tenant_id AND f.case_id = c.case_id AND f.revision = 1
GROUP BY 1, 2;

