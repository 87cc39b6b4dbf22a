-- The seller's own data (imported reports and account events) and the daily
-- rollups the reports read. Rollups are kept in the transactions that write
-- the rows they sum: imports recompute the days they touched, cases and
-- outcomes add their own numbers. Days are UTC calendar days. Every key
-- starts with tenant_id.

-- One row per import that was answered (completed or refused).
CREATE TABLE imports (
    tenant_id       bigint NOT NULL REFERENCES tenants (id),
    import_id       uuid NOT NULL,
    kind            text NOT NULL,
    status          text NOT NULL CHECK (status IN ('completed', 'failed')),
    content_sha256  bytea,                         -- of the decoded file; NULL when it was not read to the end
    bytes           bigint NOT NULL DEFAULT 0,     -- decoded bytes read
    rows_read       bigint NOT NULL DEFAULT 0,
    inserted        bigint NOT NULL DEFAULT 0,
    updated         bigint NOT NULL DEFAULT 0,
    skipped         bigint NOT NULL DEFAULT 0,
    rejected        bigint NOT NULL DEFAULT 0,
    rejected_rows   jsonb NOT NULL DEFAULT '[]',   -- the first 100: [{line, column, reason}]
    error           text,                          -- why a failed import was refused as a whole
    created_by      text,                          -- the API key's public prefix
    started_at      timestamptz NOT NULL,
    finished_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, import_id)
);
CREATE INDEX imports_tenant_time_idx ON imports (tenant_id, started_at DESC, import_id);

-- Amazon "All Orders" lines, keyed by order and SKU (one line per SKU in an
-- order). No buyer address beyond the country is kept. The bulk tables
-- (order_lines, returns, account_events) have no foreign key to tenants:
-- only an authenticated tenant's import writes them, and the check would
-- cost a lookup per row of a million-line file.
CREATE TABLE order_lines (
    tenant_id        bigint NOT NULL,
    order_id         text NOT NULL,
    sku              text NOT NULL,
    purchased_at     timestamptz NOT NULL,
    last_updated_at  timestamptz NOT NULL,
    order_status     text NOT NULL,
    item_status      text NOT NULL DEFAULT '',
    fulfillment      text NOT NULL CHECK (fulfillment IN ('FBA', 'FBM')),
    sales_channel    text NOT NULL DEFAULT '',
    asin             text NOT NULL DEFAULT '',
    quantity         integer NOT NULL CHECK (quantity >= 0),
    currency         char(3),                       -- NULL when the price is empty
    item_price       bigint CHECK (item_price >= 0), -- the line's total, minor units; NULL when empty
    ship_country     text NOT NULL DEFAULT '',
    cancelled        boolean NOT NULL,
    import_id        uuid NOT NULL,
    -- set by the import that last changed the line: its purchase time before
    -- (NULL for a line it inserted), so that the day it left is recomputed too
    previous_purchased_at timestamptz,
    PRIMARY KEY (tenant_id, order_id, sku)
);
CREATE INDEX order_lines_time_idx ON order_lines (tenant_id, purchased_at);

-- Returns from the FBA and the seller-fulfilled returns reports.
CREATE TABLE returns (
    tenant_id        bigint NOT NULL,
    source           text NOT NULL CHECK (source IN ('fba', 'fbm')),
    return_key       text NOT NULL,                 -- what identifies the return within its report
    order_id         text NOT NULL,
    sku              text NOT NULL,
    asin             text NOT NULL DEFAULT '',
    returned_at      timestamptz NOT NULL,
    quantity         integer NOT NULL CHECK (quantity >= 0),
    reason           text NOT NULL DEFAULT '',      -- as the report gave it
    category         text NOT NULL,                 -- one of the 15 case categories, or 'other'
    status           text NOT NULL DEFAULT '',
    disposition      text NOT NULL DEFAULT '',
    currency         char(3),
    refunded_amount  bigint CHECK (refunded_amount >= 0),
    a_to_z_claim     boolean NOT NULL DEFAULT false,
    import_id        uuid NOT NULL,
    previous_returned_at timestamptz,  -- as order_lines.previous_purchased_at
    PRIMARY KEY (tenant_id, source, return_key)
);
CREATE INDEX returns_time_idx ON returns (tenant_id, returned_at);

-- Account-health events no report carries: one per type and order.
-- `counts`: whether it counts against its metric (a denied A-to-z claim or
-- a shipment whose tracking was not valid does not).
CREATE TABLE account_events (
    tenant_id   bigint NOT NULL,
    type        text NOT NULL,
    order_id    text NOT NULL,
    at          timestamptz NOT NULL,
    status      text NOT NULL DEFAULT '',
    counts      boolean NOT NULL,
    import_id   uuid NOT NULL,
    PRIMARY KEY (tenant_id, type, order_id)
);
CREATE INDEX account_events_order_idx ON account_events (tenant_id, order_id);

-- Rollups from imports, recomputed for the days an import touched.
-- Sales per SKU and currency, by purchase day (cancelled lines sell nothing).
CREATE TABLE sales_daily (
    tenant_id    bigint NOT NULL,
    day          date NOT NULL,
    sku          text NOT NULL,
    currency     char(3) NOT NULL,
    asin         text NOT NULL DEFAULT '',
    orders       bigint NOT NULL,
    units_sold   bigint NOT NULL,
    revenue      bigint NOT NULL,
    PRIMARY KEY (tenant_id, day, sku, currency)
);
-- One SKU's days, for the decision's budget input (a case reads its SKU's
-- last N days: an index range, not every SKU's rows of those days; the
-- sum it needs is in the index, so no table page is read).
CREATE INDEX sales_daily_sku_idx ON sales_daily (tenant_id, sku, currency, day) INCLUDE (revenue);
-- Returns per SKU and category, by return day.
CREATE TABLE returns_daily (
    tenant_id       bigint NOT NULL,
    day             date NOT NULL,
    sku             text NOT NULL,
    category        text NOT NULL,
    returns         bigint NOT NULL,
    units_returned  bigint NOT NULL,
    PRIMARY KEY (tenant_id, day, sku, category)
);
-- Orders and their defects per fulfilment channel, by purchase day.
CREATE TABLE health_daily (
    tenant_id                bigint NOT NULL,
    day                      date NOT NULL,
    fulfillment              text NOT NULL,
    orders                   bigint NOT NULL,
    cancelled_orders         bigint NOT NULL,
    defect_orders            bigint NOT NULL,  -- any of the next three
    negative_feedback_orders bigint NOT NULL,
    a_to_z_orders            bigint NOT NULL,
    chargeback_orders        bigint NOT NULL,
    late_shipment_orders     bigint NOT NULL,
    seller_cancelled_orders  bigint NOT NULL,
    valid_tracking_orders    bigint NOT NULL,
    PRIMARY KEY (tenant_id, day, fulfillment)
);

-- The same sums per ISO week (span 'w', from its Monday) and month (span
-- 'm', from its first day), kept beside the days by whoever writes them: a
-- report reads a window as whole months, whole weeks and loose days
-- (include/days.h), a year being about 12 months, a few weeks and days, so
-- that its cost does not grow with the window.
CREATE TABLE sales_span (
    tenant_id    bigint NOT NULL,
    span         char(1) NOT NULL CHECK (span IN ('w', 'm')),
    start        date NOT NULL,
    sku          text NOT NULL,
    currency     char(3) NOT NULL,
    asin         text NOT NULL DEFAULT '',
    orders       bigint NOT NULL,
    units_sold   bigint NOT NULL,
    revenue      bigint NOT NULL,
    PRIMARY KEY (tenant_id, span, start, sku, currency)
);
CREATE TABLE returns_span (
    tenant_id       bigint NOT NULL,
    span            char(1) NOT NULL CHECK (span IN ('w', 'm')),
    start           date NOT NULL,
    sku             text NOT NULL,
    category        text NOT NULL,
    returns         bigint NOT NULL,
    units_returned  bigint NOT NULL,
    PRIMARY KEY (tenant_id, span, start, sku, category)
);

-- Rollups from cases, added to by the transactions that record cases and
-- outcomes, by the case's creation day.
CREATE TABLE case_daily (
    tenant_id         bigint NOT NULL,
    day               date NOT NULL,
    currency          char(3) NOT NULL,
    category          text NOT NULL,
    tier              text NOT NULL,
    responsibility    text NOT NULL,
    primary_action    text NOT NULL,
    cases             bigint NOT NULL,
    remedy_cost       bigint NOT NULL,
    full_return_cost  bigint NOT NULL,
    refund_amount     bigint NOT NULL,
    PRIMARY KEY (tenant_id, day, currency, category, tier, responsibility, primary_action)
);
CREATE TABLE case_sku_daily (
    tenant_id         bigint NOT NULL,
    day               date NOT NULL,
    sku               text NOT NULL,
    currency          char(3) NOT NULL,
    category          text NOT NULL,
    cases             bigint NOT NULL,
    orders_with_case  bigint NOT NULL,  -- cases that were their order and SKU's first
    remedy_cost       bigint NOT NULL,
    full_return_cost  bigint NOT NULL,
    PRIMARY KEY (tenant_id, day, sku, currency, category)
);
CREATE INDEX case_sku_daily_sku_idx ON case_sku_daily (tenant_id, sku, currency, day) INCLUDE (remedy_cost);
CREATE TABLE case_span (
    tenant_id         bigint NOT NULL,
    span              char(1) NOT NULL CHECK (span IN ('w', 'm')),
    start             date NOT NULL,
    currency          char(3) NOT NULL,
    category          text NOT NULL,
    tier              text NOT NULL,
    responsibility    text NOT NULL,
    primary_action    text NOT NULL,
    shard             smallint NOT NULL DEFAULT 0,  -- as case_daily's (migration 0010)
    cases             bigint NOT NULL,
    remedy_cost       bigint NOT NULL,
    full_return_cost  bigint NOT NULL,
    refund_amount     bigint NOT NULL,
    PRIMARY KEY (tenant_id, span, start, currency, category, tier, responsibility, primary_action, shard)
);
CREATE TABLE case_sku_span (
    tenant_id         bigint NOT NULL,
    span              char(1) NOT NULL CHECK (span IN ('w', 'm')),
    start             date NOT NULL,
    sku               text NOT NULL,
    currency          char(3) NOT NULL,
    category          text NOT NULL,
    cases             bigint NOT NULL,
    orders_with_case  bigint NOT NULL,
    remedy_cost       bigint NOT NULL,
    full_return_cost  bigint NOT NULL,
    PRIMARY KEY (tenant_id, span, start, sku, currency, category)
);
-- The outcome that stands for each case, counted on the case's day: a new
-- outcome moves its case from the old row to the new one.
CREATE TABLE outcome_daily (
    tenant_id       bigint NOT NULL,
    day             date NOT NULL,
    currency        char(3) NOT NULL,
    status          text NOT NULL,
    review_outcome  text NOT NULL,
    order_retained  text NOT NULL CHECK (order_retained IN ('yes', 'no', 'unknown')),
    cases           bigint NOT NULL,
    final_refund    bigint NOT NULL,
    PRIMARY KEY (tenant_id, day, currency, status, review_outcome, order_retained)
);
-- How fast cases were answered (first outcome), by the case's day.
CREATE TABLE response_daily (
    tenant_id            bigint NOT NULL,
    day                  date NOT NULL,
    cases                bigint NOT NULL,
    answered             bigint NOT NULL,
    answered_within_24h  bigint NOT NULL,
    PRIMARY KEY (tenant_id, day)
);

-- A window's rows of each per-SKU or per-case rollup, read as its cover
-- (include/days.h): the loose days from the daily table, the whole weeks
-- and months from the span table. Plain SQL functions, inlined into the
-- statements that call them, so each part is an index scan of its own.
CREATE FUNCTION sales_in(p_tenant bigint, p_days date[], p_weeks date[], p_months date[])
RETURNS TABLE (sku text, currency char(3), asin text, orders bigint, units_sold bigint, revenue bigint)
LANGUAGE sql STABLE AS $$
    SELECT sku, currency, asin, orders, units_sold, revenue
    FROM sales_daily WHERE tenant_id = p_tenant AND day = ANY (p_days)
    UNION ALL
    SELECT sku, currency, asin, orders, units_sold, revenue
    FROM sales_span WHERE tenant_id = p_tenant AND span = 'w' AND start = ANY (p_weeks)
    UNION ALL
    SELECT sku, currency, asin, orders, units_sold, revenue
    FROM sales_span WHERE tenant_id = p_tenant AND span = 'm' AND start = ANY (p_months)
$$;
CREATE FUNCTION returns_in(p_tenant bigint, p_days date[], p_weeks date[], p_months date[])
RETURNS TABLE (sku text, category text, returns bigint, units_returned bigint)
LANGUAGE sql STABLE AS $$
    SELECT sku, category, returns, units_returned
    FROM returns_daily WHERE tenant_id = p_tenant AND day = ANY (p_days)
    UNION ALL
    SELECT sku, category, returns, units_returned
    FROM returns_span WHERE tenant_id = p_tenant AND span = 'w' AND start = ANY (p_weeks)
    UNION ALL
    SELECT sku, category, returns, units_returned
    FROM returns_span WHERE tenant_id = p_tenant AND span = 'm' AND start = ANY (p_months)
$$;
CREATE FUNCTION cases_in(p_tenant bigint, p_days date[], p_weeks date[], p_months date[])
RETURNS TABLE (currency char(3), category text, tier text, responsibility text, primary_action text, cases bigint,
               remedy_cost bigint, full_return_cost bigint, refund_amount bigint)
LANGUAGE sql STABLE AS $$
    SELECT currency, category, tier, responsibility, primary_action, cases, remedy_cost, full_return_cost,
           refund_amount
    FROM case_daily WHERE tenant_id = p_tenant AND day = ANY (p_days)
    UNION ALL
    SELECT currency, category, tier, responsibility, primary_action, cases, remedy_cost, full_return_cost,
           refund_amount
    FROM case_span WHERE tenant_id = p_tenant AND span = 'w' AND start = ANY (p_weeks)
    UNION ALL
    SELECT currency, category, tier, responsibility, primary_action, cases, remedy_cost, full_return_cost,
           refund_amount
    FROM case_span WHERE tenant_id = p_tenant AND span = 'm' AND start = ANY (p_months)
$$;
CREATE FUNCTION case_skus_in(p_tenant bigint, p_days date[], p_weeks date[], p_months date[])
RETURNS TABLE (sku text, currency char(3), category text, cases bigint, orders_with_case bigint, remedy_cost bigint,
               full_return_cost bigint)
LANGUAGE sql STABLE AS $$
    SELECT sku, currency, category, cases, orders_with_case, remedy_cost, full_return_cost
    FROM case_sku_daily WHERE tenant_id = p_tenant AND day = ANY (p_days)
    UNION ALL
    SELECT sku, currency, category, cases, orders_with_case, remedy_cost, full_return_cost
    FROM case_sku_span WHERE tenant_id = p_tenant AND span = 'w' AND start = ANY (p_weeks)
    UNION ALL
    SELECT sku, currency, category, cases, orders_with_case, remedy_cost, full_return_cost
    FROM case_sku_span WHERE tenant_id = p_tenant AND span = 'm' AND start = ANY (p_months)
$$;

-- A case's order: whether it is the first case of its order and SKU, and
-- the join from orders to cases.
CREATE INDEX cases_order_idx ON cases (tenant_id, order_id, sku);

-- Where an import's rows wait, within its own transaction, until they are
-- merged (never visible to anyone else: the transaction deletes them before
-- it commits, and a failed one leaves nothing). Unlogged: no WAL for rows
-- that never outlive a transaction. import_days: the days an import touched,
-- whose rollups it recomputes.
CREATE UNLOGGED TABLE import_stage_order_lines (
    import_id        uuid NOT NULL,
    line             bigint NOT NULL,
    order_id         text NOT NULL,
    sku              text NOT NULL,
    purchased_at     timestamptz NOT NULL,
    last_updated_at  timestamptz NOT NULL,
    order_status     text NOT NULL,
    item_status      text NOT NULL,
    fulfillment      text NOT NULL,
    sales_channel    text NOT NULL,
    asin             text NOT NULL,
    quantity         integer NOT NULL,
    currency         char(3),
    item_price       bigint,
    ship_country     text NOT NULL,
    cancelled        boolean NOT NULL
);
CREATE INDEX import_stage_order_lines_idx ON import_stage_order_lines (import_id);
CREATE UNLOGGED TABLE import_stage_returns (
    import_id        uuid NOT NULL,
    line             bigint NOT NULL,
    source           text NOT NULL,
    return_key       text NOT NULL,
    order_id         text NOT NULL,
    sku              text NOT NULL,
    asin             text NOT NULL,
    returned_at      timestamptz NOT NULL,
    quantity         integer NOT NULL,
    reason           text NOT NULL,
    category         text NOT NULL,
    status           text NOT NULL,
    disposition      text NOT NULL,
    currency         char(3),
    refunded_amount  bigint,
    a_to_z_claim     boolean NOT NULL
);
CREATE INDEX import_stage_returns_idx ON import_stage_returns (import_id);
CREATE UNLOGGED TABLE import_stage_events (
    import_id   uuid NOT NULL,
    line        bigint NOT NULL,
    type        text NOT NULL,
    order_id    text NOT NULL,
    at          timestamptz NOT NULL,
    status      text NOT NULL,
    counts      boolean NOT NULL
);
CREATE INDEX import_stage_events_idx ON import_stage_events (import_id);
CREATE UNLOGGED TABLE import_days (
    import_id   uuid NOT NULL,
    day         date NOT NULL,
    PRIMARY KEY (import_id, day)
);
