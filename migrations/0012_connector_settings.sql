-- A tenant's settings for each helpdesk connector (issue #12): the
-- document GET /v1/connectors/{name} shows (never a secret), and the
-- secrets apart, each sealed with AES-256-GCM under REDRESS_SECRET_KEY and
-- bound to its tenant, connector and name ("tenant:<id>:zendesk:api_token"):
-- secrets maps a name to the hex of nonce || ciphertext || tag. A row
-- exists once the tenant has saved its settings; before, the defaults hold.
CREATE TABLE connector_settings (
    tenant_id   bigint NOT NULL REFERENCES tenants (id),
    connector   text NOT NULL CHECK (connector IN ('zendesk', 'gorgias')),
    settings    jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(settings) = 'object'),
    secrets     jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(secrets) = 'object'),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, connector)
);
