#!/bin/sh
# make demo-data: three months of sample cases for tenant "demo" in the
# local database, so that the console (make run, then http://127.0.0.1:8080/)
# has numbers to show on a fresh machine. Run it while `make run` serves:
# the cases go through the API (decided by the service itself) with the
# demo key, with outcomes, messages, an Amazon All Orders report and
# account-health events (tests/console/seed.mjs, the browser tests' seed);
# then their times are spread over the last 90 days and the reports'
# rollups rebuilt. A second tenant, demo-neighbour, gets a dozen cases the
# demo tenant must never see. Running it twice adds a second set.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
redress=${REDRESS_BIN:-build/redress}
port=${REDRESS_PORT:-8080}
if [ ! -s .local/env ] || [ ! -s .local/demo-api-key ]; then
  echo "demo-data: start the service with 'make run' first (it makes the demo key)" >&2
  exit 1
fi
. ./.local/env
if ! curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
  echo "demo-data: nothing answers on 127.0.0.1:$port; run 'make run' in another terminal" >&2
  exit 1
fi
neighbour_key=$("$redress" apikey create --tenant demo-neighbour 2>/dev/null | tail -n 1)
REDRESS_URL="http://127.0.0.1:$port" KEY_A="$(cat .local/demo-api-key)" KEY_B="$neighbour_key" \
  node tests/console/seed.mjs
"$redress" apikey revoke "$(printf '%s' "$neighbour_key" | cut -c5-16)" >/dev/null 2>&1 || true
psql -X -q -v ON_ERROR_STOP=1 -d "$REDRESS_DATABASE_URL" >/dev/null <<'SQL'
UPDATE cases SET created_at = now() - (abs(hashtext(case_id::text)) % (89 * 24 * 60)) * interval '1 minute'
WHERE created_at > now() - interval '1 day'
  AND tenant_id IN (SELECT id FROM tenants WHERE name IN ('demo', 'demo-neighbour'));
UPDATE outcomes o SET recorded_at = c.created_at + (2 + abs(hashtext(o.case_id::text || o.revision)) % 30) * interval '1 hour'
FROM cases c
WHERE c.tenant_id = o.tenant_id AND c.case_id = o.case_id AND o.recorded_at > now() - interval '1 day'
  AND c.tenant_id IN (SELECT id FROM tenants WHERE name IN ('demo', 'demo-neighbour'));
SQL
PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -d "$REDRESS_DATABASE_URL" -f migrations/0010_case_rollups_backfill.sql >/dev/null
echo "demo-data: done; open http://127.0.0.1:$port/ and sign in with the demo key (.local/demo-api-key)"
