-- When each API key was last used, for `redress apikey list`. Written at
-- most once a minute per key (see api_key_touch), never per request.
ALTER TABLE api_keys ADD COLUMN last_used_at timestamptz;
