#!/bin/sh
# `make run`: the local database, migrations, the demo tenant, and the
# service in the foreground. Ctrl-C or SIGTERM stops both cleanly.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/local-db.sh start
. ./.local/env
build/redress migrate

port=${REDRESS_PORT:-8080}
if [ ! -s .local/demo-api-key ]; then
  umask 077
  build/redress apikey create --tenant demo 2>/dev/null | tail -n 1 > .local/demo-api-key.tmp
  mv .local/demo-api-key.tmp .local/demo-api-key
  echo
  echo "Tenant 'demo' has a new API key (shown once; kept in .local/demo-api-key):"
  echo "  $(cat .local/demo-api-key)"
fi
echo
echo "Try it:"
echo "  curl -s -H \"Authorization: Bearer \$(cat .local/demo-api-key)\" http://127.0.0.1:$port/v1/me"
echo

build/redress serve &
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
