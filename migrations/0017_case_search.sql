-- The console's case search (GET /v1/cases, issue #14) finds a case by the
-- helpdesk ticket it came from. Buyer, order and SKU have their indexes
-- (0002, 0009); the ticket id is a member of the stored request.
CREATE INDEX cases_ticket_idx ON cases (tenant_id, (request->>'ticket_id'), created_at DESC)
    WHERE request ? 'ticket_id';
