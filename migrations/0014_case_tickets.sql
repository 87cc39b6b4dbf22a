-- Which case a helpdesk ticket became (issue #12): the first event of a
-- ticket makes its case; every later event on it (a buyer's or an agent's
-- comment) is recorded as a message on that case. Written in the case's own
-- transaction, so a ticket never points to a case that was rolled back, and
-- the primary key lets only one case come of a ticket, however many events
-- race for it. Keyed by tenant first: one tenant's ticket 42 is not
-- another's.
CREATE TABLE case_tickets (
    tenant_id   bigint NOT NULL,
    connector   text NOT NULL CHECK (connector IN ('zendesk', 'gorgias')),
    ticket_id   text NOT NULL CHECK (length(ticket_id) BETWEEN 1 AND 128),
    case_id     uuid NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, connector, ticket_id),
    FOREIGN KEY (tenant_id, case_id) REFERENCES cases (tenant_id, case_id)
);
