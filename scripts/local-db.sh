#!/bin/sh
# The project-local PostgreSQL of `make run` and `make apikey`: a cluster in
# .local/pg, reachable only through the Unix socket in that directory.
#   local-db.sh start   create on first use, start, make role and database,
#                       write .local/env (REDRESS_DATABASE_URL)
#   local-db.sh stop
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/.local/pg"
pg="$root/scripts/pg.sh"

case "${1:-}" in
  start)
    mkdir -p "$root/.local"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      mkdir -p "$dir"
      if [ "$(id -u)" -eq 0 ]; then
        chown postgres "$dir"
        runuser -u postgres -- test -w "$dir" || {
          echo "local-db: the postgres user cannot reach $dir (a parent directory is private);" \
               "clone the project under a directory others can traverse" >&2
          exit 1
        }
      fi
      echo "creating the local database cluster in .local/pg" >&2
      "$pg" init "$dir/data"
    fi
    if ! "$pg" status "$dir/data" 2>/dev/null; then
      "$pg" start "$dir/data" "$dir" "$dir/postgres.log"
    fi
    psql_admin() { psql -X -q -h "$dir" -p 5432 -U postgres -d postgres -tA "$@"; }
    if [ -z "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = 'redress'")" ]; then
      psql_admin -c "CREATE ROLE redress LOGIN"
    fi
    if [ -z "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = 'redress'")" ]; then
      psql_admin -c "CREATE DATABASE redress OWNER redress"
    fi
    echo "REDRESS_DATABASE_URL='host=$dir port=5432 dbname=redress user=redress'" > "$root/.local/env.tmp"
    echo "export REDRESS_DATABASE_URL" >> "$root/.local/env.tmp"
    mv "$root/.local/env.tmp" "$root/.local/env"
    ;;
  stop)
    if [ -f "$dir/data/PG_VERSION" ] && "$pg" status "$dir/data" 2>/dev/null; then
      "$pg" stop "$dir/data"
    fi
    ;;
  *)
    echo "usage: local-db.sh start|stop" >&2; exit 2 ;;
esac
