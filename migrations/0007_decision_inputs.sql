-- What a decision used beyond the request and the policy version, so that
-- replaying it (POST /v1/policy/simulate) reproduces it exactly: the
-- seller's cost settings at the time (tenant-wide and the SKU's) and the
-- buyer's history (also in the decision, but a replay should not have to
-- open it). The decision time is created_at.
-- NULL for cases decided before this migration.
ALTER TABLE cases ADD COLUMN decision_inputs jsonb;
-- A tenant's cases in time order: the simulator's window, read in pages.
CREATE INDEX cases_tenant_time_idx ON cases (tenant_id, created_at, case_id);
