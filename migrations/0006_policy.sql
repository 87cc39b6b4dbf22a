-- Each tenant's policy, versioned (GET/PUT/PATCH /v1/policy). Version 1 is
-- the built-in defaults and has no row; every accepted change adds the next
-- number, and the primary key lets only one of two concurrent writers of
-- the same number in. Versions are never changed or removed.
CREATE TABLE policy_versions (
    tenant_id   bigint NOT NULL REFERENCES tenants (id),
    version     integer NOT NULL CHECK (version >= 2),
    document    jsonb NOT NULL,
    note        text CHECK (length(note) <= 500),
    created_by  text,                  -- the public prefix of the API key that made it
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, version)
);

-- Which version decided each case (1 for every case decided before).
ALTER TABLE cases ADD COLUMN policy_version integer NOT NULL DEFAULT 1;
