-- What the helpdesk connectors owe a helpdesk (issue #12): the outbox. A
-- row is written in the same transaction as the case it comes from, so a
-- recorded decision always has its note on the way, and a note never goes
-- out for a case that was rolled back. The delivery worker sends due rows
-- (any Redress process: a lease, not a lock held across the call), retries
-- with backoff, and keeps what happened for GET .../deliveries.
CREATE TABLE connector_deliveries (
    tenant_id        bigint NOT NULL,
    delivery_id      uuid NOT NULL,            -- made by the service; named in the note (duplicate check)
    connector        text NOT NULL CHECK (connector IN ('zendesk')),
    case_id          uuid NOT NULL,
    ticket_id        text NOT NULL,
    payload          jsonb NOT NULL CHECK (jsonb_typeof(payload) = 'object'),  -- the request body to send
    state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    lease_until      timestamptz,              -- a worker is sending it until then
    last_status      integer,                  -- the helpdesk's HTTP status at the last attempt; NULL: no answer
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    PRIMARY KEY (tenant_id, delivery_id),
    FOREIGN KEY (tenant_id, case_id) REFERENCES cases (tenant_id, case_id)
);
-- The worker's scan: only what is still owed, soonest first.
CREATE INDEX connector_deliveries_due_idx ON connector_deliveries (next_attempt_at) WHERE state = 'pending';
-- GET /v1/connectors/{name}/deliveries: a tenant's newest first.
CREATE INDEX connector_deliveries_recent_idx ON connector_deliveries (tenant_id, connector, created_at DESC, delivery_id);
