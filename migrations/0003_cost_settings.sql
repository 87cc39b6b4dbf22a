-- What a seller knows of its costs, tenant-wide and per SKU; the engine
-- uses them where a case carries no actual values (DOMAIN.md, "Cost, in
-- the seller's terms"). Empty columns mean "use the next default".
CREATE TABLE tenant_costs (
    tenant_id                 bigint PRIMARY KEY REFERENCES tenants (id),
    landed_cost_percent       integer CHECK (landed_cost_percent BETWEEN 0 AND 1000),
    outbound_postage_percent  integer CHECK (outbound_postage_percent BETWEEN 0 AND 1000),
    return_postage_percent    integer CHECK (return_postage_percent BETWEEN 0 AND 1000),
    handling_percent          integer CHECK (handling_percent BETWEEN 0 AND 1000),
    resale_percent            integer CHECK (resale_percent BETWEEN 0 AND 100),
    return_insurance          boolean,
    updated_at                timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sku_costs (
    tenant_id         bigint NOT NULL REFERENCES tenants (id),
    sku               text NOT NULL,
    currency          char(3) NOT NULL,
    unit_cost         bigint CHECK (unit_cost >= 0),
    outbound_postage  bigint CHECK (outbound_postage >= 0),
    return_postage    bigint CHECK (return_postage >= 0),
    handling          bigint CHECK (handling >= 0),
    resale_percent    integer CHECK (resale_percent BETWEEN 0 AND 100),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, sku)
);
