#!/bin/sh
# make apikey TENANT=name: a new key against the local database of
# `make run`, starting it for the purpose (and stopping it again) if needed.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
tenant=$1
redress=${REDRESS_BIN:-build/redress}
was_running=false
scripts/local-db.sh status && was_running=true
scripts/local-db.sh start >/dev/null
. ./.local/env
status=0
"$redress" migrate 2>/dev/null && "$redress" apikey create --tenant "$tenant" || status=$?
$was_running || scripts/local-db.sh stop
exit "$status"
