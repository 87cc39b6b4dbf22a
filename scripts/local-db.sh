#!/bin/sh
# The project-local PostgreSQL of `make run` and `make apikey`: a cluster
# reachable only through a Unix socket in its own directory.
#   local-db.sh start   create on first use, start, make role and database,
#                       write .local/env (REDRESS_DATABASE_URL)
#   local-db.sh stop
#   local-db.sh status  exit 0 when it is running
#   local-db.sh dir     print the cluster's directory
#
# Where the cluster lives: a user other than root runs PostgreSQL as
# themselves, so it stays in the checkout (.local/pg). Root runs it as the
# postgres user, who may not be able to reach the checkout (root's home is
# mode 700), so the cluster goes to a directory postgres owns, one per
# checkout, named after a hash of the checkout's absolute path. A cluster
# already in .local/pg (made before) is used where it is.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd -P)
pg="$root/scripts/pg.sh"
cd / # every path here is absolute; postgres may not be able to enter the caller's directory

cluster_dir() {
  if [ "$(id -u)" -ne 0 ] || [ -f "$root/.local/pg/data/PG_VERSION" ]; then
    echo "$root/.local/pg"
    return
  fi
  key=$(printf '%s' "$root" | sha256sum | cut -c1-16)
  home=$(getent passwd postgres | cut -d: -f6)
  # postgres's home when it is a real directory of theirs, else /var/tmp
  if [ -n "$home" ] && [ -d "$home" ] && [ "$(stat -c %U "$home")" = postgres ]; then
    echo "$home/redress-local/$key"
  else
    echo "/var/tmp/redress-pg-$key"
  fi
}
dir=$(cluster_dir)

running() { [ -f "$dir/data/PG_VERSION" ] && "$pg" status "$dir/data" 2>/dev/null; }

case "${1:-}" in
  start)
    mkdir -p "$root/.local"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      mkdir -p "$dir"
      if [ "$(id -u)" -eq 0 ]; then
        chown postgres "$dir"
        chmod 700 "$dir"
        runuser -u postgres -- test -w "$dir" || {
          echo "local-db: the postgres user cannot write to $dir" >&2
          exit 1
        }
      fi
      echo "creating the local database cluster in $dir" >&2
      "$pg" init "$dir/data"
    fi
    running || "$pg" start "$dir/data" "$dir" "$dir/postgres.log"
    psql_admin() { psql -X -q -h "$dir" -p 5432 -U postgres -d postgres -tA "$@"; }
    if [ -z "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = 'redress'")" ]; then
      psql_admin -c "CREATE ROLE redress LOGIN"
    fi
    if [ -z "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = 'redress'")" ]; then
      psql_admin -c "CREATE DATABASE redress OWNER redress"
    fi
    {
      echo "# written by scripts/local-db.sh: the cluster is in $dir"
      echo "REDRESS_DATABASE_URL='host=$dir port=5432 dbname=redress user=redress'"
      echo "export REDRESS_DATABASE_URL"
    } > "$root/.local/env.tmp"
    mv "$root/.local/env.tmp" "$root/.local/env"
    ;;
  stop)
    if running; then
      "$pg" stop "$dir/data"
    fi
    ;;
  status)
    running ;;
  dir)
    echo "$dir" ;;
  *)
    echo "usage: local-db.sh start|stop|status|dir" >&2; exit 2 ;;
esac
