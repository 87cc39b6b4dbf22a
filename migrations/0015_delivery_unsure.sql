-- The delivery worker (issue #12): whether an attempt of this delivery may
-- have reached the helpdesk without its answer reaching us (a timeout, a
-- broken connection, a 5xx, or a worker that stopped mid-call). Once set,
-- every further attempt first lists the ticket's comments for the note's
-- marker ("Redress delivery <delivery_id>") and sends only if it is not
-- there: a note arrives exactly once.
ALTER TABLE connector_deliveries ADD COLUMN unsure boolean NOT NULL DEFAULT false;
