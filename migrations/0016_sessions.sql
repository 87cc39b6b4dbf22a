-- The console's sign-in (issue #14): a session is a random token the
-- browser holds in an HttpOnly cookie, exchanged once for an API key. Only
-- the token's SHA-256 is stored. The key's prefix is kept so that revoking
-- the key ends its sessions and rate limits stay per key; rows past their
-- expiry are deleted by the maintenance job.
CREATE TABLE sessions (
    token_digest bytea PRIMARY KEY CHECK (octet_length(token_digest) = 32),
    tenant_id    bigint NOT NULL REFERENCES tenants (id),
    key_prefix   text NOT NULL REFERENCES api_keys (prefix),
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    CHECK (expires_at > created_at)
);
-- The maintenance job's purge of expired rows.
CREATE INDEX sessions_expires_idx ON sessions (expires_at);
