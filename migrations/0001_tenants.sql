-- Tenants (seller accounts) and their API keys.
-- A key is shown once when created; only its SHA-256 digest is kept.
CREATE TABLE tenants (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
    prefix      text PRIMARY KEY CHECK (prefix ~ '^[0-9a-f]{12}$'),
    tenant_id   bigint NOT NULL REFERENCES tenants (id),
    digest      bytea NOT NULL CHECK (octet_length(digest) = 32),
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id);
