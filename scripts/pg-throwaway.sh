# Sourced (not run) by scripts/test.sh and scripts/faults.sh: a throwaway
# PostgreSQL for one run, removed afterwards whatever happens.
#
#   . scripts/pg-throwaway.sh
#   pg_throwaway_start NAME    makes /tmp/redress-NAME.XXXXXX, starts the
#                              cluster there (Unix socket only), sets $pg_tmp
#                              and exports:
#     REDRESS_TEST_ADMIN_URL   superuser connection string (database postgres)
#     REDRESS_TEST_PG_SOCKET   the server's Unix socket (for test proxies)
#     REDRESS_TEST_PG_CTL      "$pg_tmp/ctl stop|start|kill|log": stop and start
#                              the database under the service; kill SIGKILLs the
#                              postmaster (a crash) and starts it again
#   pg_throwaway_log_tail N    the last N lines of the server's log
# The cluster is stopped and the directory removed on EXIT, INT and TERM.

# (the sourcing script lives in scripts/; another may set pg_throwaway_root)
pg_throwaway_root=${pg_throwaway_root:-$(cd "$(dirname "$0")/.." && pwd)}

pg_throwaway_cleanup() {
  "$pg_throwaway_root/scripts/pg.sh" stop "$pg_tmp/data" 2>/dev/null || true
  rm -rf "$pg_tmp"
}

pg_throwaway_start() {
  pg_tmp=$(mktemp -d "/tmp/redress-$1.XXXXXX")
  chmod 755 "$pg_tmp"
  [ "$(id -u)" -eq 0 ] && chown postgres "$pg_tmp"
  trap pg_throwaway_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  pg="$pg_throwaway_root/scripts/pg.sh"
  "$pg" init "$pg_tmp/data"
  # Durability is not under test here; speed is welcome.
  start_args="$pg_tmp/data $pg_tmp $pg_tmp/postgres.log fsync=off max_connections=200"
  # shellcheck disable=SC2086
  "$pg" start $start_args
  cat > "$pg_tmp/ctl" <<CTL
#!/bin/sh
# Lets tests stop, start and crash the database under the service.
start() {
  # After a crash the old backends hold the shared memory until they notice
  # that the postmaster is gone: try again for a while.
  for try in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    "$pg" start $start_args 2>/dev/null && return 0
    sleep 0.5
  done
  "$pg" start $start_args
}
case "\$1" in
  stop) exec "$pg" stop "$pg_tmp/data" ;;
  start) start ;;
  kill)
    pid=\$(head -n 1 "$pg_tmp/data/postmaster.pid")
    kill -KILL "\$pid"
    while kill -0 "\$pid" 2>/dev/null; do sleep 0.05; done
    start ;;
  *) echo "usage: ctl stop|start|kill" >&2; exit 2 ;;
esac
CTL
  chmod +x "$pg_tmp/ctl"
  export REDRESS_TEST_ADMIN_URL="host=$pg_tmp port=5432 dbname=postgres user=postgres"
  export REDRESS_TEST_PG_SOCKET="$pg_tmp/.s.PGSQL.5432"
  export REDRESS_TEST_PG_CTL="$pg_tmp/ctl"
}

pg_throwaway_log_tail() {
  tail -n "$1" "$pg_tmp/postgres.log" || true
}
