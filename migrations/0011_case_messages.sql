-- The conversation on a case: what the buyer, the seller and the marketplace
-- wrote, in order. Every key starts with tenant_id, and a message belongs to
-- a case of its own tenant (the foreign key), so one tenant can never read
-- or add to another's conversation.
CREATE TABLE case_messages (
    tenant_id    bigint NOT NULL,
    case_id      uuid NOT NULL,
    -- Numbered 1, 2 ... per case under the case's lock, in recording order:
    -- messages with the same `at` keep the order they were recorded in.
    seq          integer NOT NULL CHECK (seq > 0),
    -- Made by the service before it writes, as for cases and outcomes: after
    -- a lost COMMIT a new connection can tell whether the message landed.
    message_id   uuid NOT NULL,
    sender       text NOT NULL CHECK (sender IN ('buyer', 'seller', 'marketplace')),  -- the API's `from`
    at           timestamptz NOT NULL,
    channel      text NOT NULL CHECK (channel IN ('amazon', 'shopify', 'email', 'zendesk', 'gorgias', 'other')),
    body         text NOT NULL,                                -- the API's `text`
    compliance   jsonb CHECK ((sender = 'seller') = (compliance IS NOT NULL)),  -- the guard's {passed, violations}
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, case_id, seq),
    FOREIGN KEY (tenant_id, case_id) REFERENCES cases (tenant_id, case_id)
);
-- A case's conversation in order: one index range, already sorted.
CREATE INDEX case_messages_order_idx ON case_messages (tenant_id, case_id, at, seq);
CREATE UNIQUE INDEX case_messages_message_id_idx ON case_messages (tenant_id, message_id);
