#!/bin/sh
# `make run`: the local database, migrations, the demo tenant, and the
# service in the foreground. Ctrl-C or SIGTERM stops both cleanly.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
redress=${REDRESS_BIN:-build/redress}
scripts/local-db.sh start
. ./.local/env
"$redress" migrate

port=${REDRESS_PORT:-8080}
# The kept key must still be a live key of this cluster (it may have been
# revoked, or the cluster made anew).
demo_key_live() {
  [ -s .local/demo-api-key ] || return 1
  prefix=$(cut -c5-16 .local/demo-api-key)
  "$redress" apikey list --tenant demo 2>/dev/null | awk -v p="$prefix" '$1 == p && $NF == "-" { found = 1 } END { exit !found }'
}
if ! demo_key_live; then
  umask 077
  "$redress" apikey create --tenant demo 2>/dev/null | tail -n 1 > .local/demo-api-key.tmp
  mv .local/demo-api-key.tmp .local/demo-api-key
  echo
  echo "Tenant 'demo' has a new API key (shown once; kept in .local/demo-api-key):"
  echo "  $(cat .local/demo-api-key)"
fi
echo
echo "Try it:"
echo "  curl -s -H \"Authorization: Bearer \$(cat .local/demo-api-key)\" http://127.0.0.1:$port/v1/me"
echo "The console: open http://127.0.0.1:$port/ and sign in with the demo key above."
echo

"$redress" serve &
pid=$!
stop() {
  trap - INT TERM
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  scripts/local-db.sh stop
  exit 0
}
trap stop INT TERM
status=0
wait "$pid" || status=$?
# The service ended by itself (for example, the port was taken).
trap - INT TERM
scripts/local-db.sh stop
exit "$status"
