-- Recorded cases, their outcomes, and idempotency keys. Every key starts
-- with tenant_id and every statement filters on it: one tenant can never
-- read or change another's rows.

-- One row per buyer a tenant has seen; locking it serialises that buyer's
-- claims, so concurrent claims see each other's history.
CREATE TABLE buyers (
    tenant_id   bigint NOT NULL REFERENCES tenants (id),
    buyer_id    text NOT NULL,
    first_seen  timestamptz NOT NULL DEFAULT now(),
    last_seen   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, buyer_id)
);

CREATE TABLE cases (
    tenant_id        bigint NOT NULL,
    case_id          uuid NOT NULL,
    buyer_id         text NOT NULL,
    order_id         text NOT NULL,
    sku              text NOT NULL,
    channel          text NOT NULL,
    category         text NOT NULL,
    responsibility   text NOT NULL,
    tier             text NOT NULL,
    primary_action   text NOT NULL,
    currency         char(3) NOT NULL,
    refund_amount    bigint NOT NULL CHECK (refund_amount >= 0),
    order_value      bigint NOT NULL CHECK (order_value >= 0),
    remedy_cost      bigint NOT NULL,
    full_return_cost bigint NOT NULL,
    risk             text NOT NULL,
    request          jsonb NOT NULL,   -- the request as received
    decision         jsonb NOT NULL,   -- the decision as returned
    created_at       timestamptz NOT NULL,
    -- the outcome that stands (the last one recorded); history in outcomes
    outcome_status   text,
    final_refund     bigint CHECK (final_refund >= 0),
    abuse_confirmed  boolean NOT NULL DEFAULT false,
    outcome_at       timestamptz,
    PRIMARY KEY (tenant_id, case_id),
    FOREIGN KEY (tenant_id, buyer_id) REFERENCES buyers (tenant_id, buyer_id)
);
-- One buyer's history: an index range scan, whatever the tenant's size.
CREATE INDEX cases_buyer_history_idx ON cases (tenant_id, buyer_id, created_at DESC);
-- The seller's reports: what costs most, per SKU and category.
CREATE INDEX cases_sku_idx ON cases (tenant_id, sku, created_at DESC);

CREATE TABLE outcomes (
    tenant_id        bigint NOT NULL,
    case_id          uuid NOT NULL,
    revision         integer NOT NULL,
    status           text NOT NULL,
    final_refund     bigint CHECK (final_refund >= 0),
    review_outcome   text NOT NULL,
    order_retained   boolean,
    abuse_confirmed  boolean NOT NULL,
    note             text,
    recorded_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, case_id, revision),
    FOREIGN KEY (tenant_id, case_id) REFERENCES cases (tenant_id, case_id)
);

-- Written in the same transaction as the case it answered: a key exists
-- exactly when its response was committed.
CREATE TABLE idempotency_keys (
    tenant_id        bigint NOT NULL REFERENCES tenants (id),
    key              text NOT NULL,
    request_hash     bytea NOT NULL,
    case_id          uuid NOT NULL,
    response_status  integer NOT NULL,
    response_body    text NOT NULL,    -- byte for byte what was sent
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
