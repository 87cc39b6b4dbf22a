-- A SKU's own compensation budget: the share of its revenue the seller
-- accepts to spend on compensation, overriding the policy's
-- costs.compensation_budget_percent (NULL: the policy's). Recorded for the
-- reports; decisions do not use it.
ALTER TABLE sku_costs ADD COLUMN compensation_budget_percent integer
    CHECK (compensation_budget_percent BETWEEN 0 AND 100);
