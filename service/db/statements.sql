-- Every SQL statement the service runs per request, by name.
-- Prepared once per connection (service/db/statements.c); the benchmark
-- feeds the per-request ones to pgbench from this same file.

-- name: tenant_ensure
INSERT INTO tenants (name) VALUES ($1)
ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name
RETURNING id, name;

-- name: api_key_insert
INSERT INTO api_keys (prefix, tenant_id, digest) VALUES ($1, $2, $3::bytea);

-- name: api_key_lookup
SELECT t.id, t.name, k.digest
FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
WHERE k.prefix = $1 AND k.revoked_at IS NULL;
