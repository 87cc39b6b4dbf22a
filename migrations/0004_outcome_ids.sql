-- Outcomes get an id the service makes before it writes, as cases do: when
-- the connection breaks after COMMIT was sent, a new connection can tell
-- whether that outcome was recorded, and a retry never adds a second one.
-- Rows recorded before this migration have none.
ALTER TABLE outcomes ADD COLUMN outcome_id uuid;
CREATE UNIQUE INDEX outcomes_outcome_id_idx ON outcomes (tenant_id, outcome_id);
