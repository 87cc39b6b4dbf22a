#!/bin/sh
# A PostgreSQL cluster in a directory of ours, reachable only through a
# Unix socket (listen_addresses=''). Used by `make run` and `make test`.
#   pg.sh init  DATA
#   pg.sh start DATA SOCKET_DIR LOG [extra postgres -c settings...]
#   pg.sh stop  DATA
#   pg.sh status DATA
# PostgreSQL refuses to run as root: as root, it runs as the postgres user.
set -eu
bindir=$(pg_config --bindir 2>/dev/null || true)
if [ ! -x "$bindir/initdb" ]; then
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
fi
[ -x "$bindir/initdb" ] || { echo "pg.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cmd=$1; data=$2
case "$cmd" in
  init)
    mkdir -p "$data"
    [ "$(id -u)" -eq 0 ] && chown postgres "$data" "$(dirname "$data")"
    chmod 700 "$data"
    as_owner "$bindir/initdb" -D "$data" --auth=trust --username=postgres --encoding=UTF8 \
      --locale=C.UTF-8 >/dev/null
    ;;
  start)
    sock=$3; log=$4; shift 4
    opts="-c listen_addresses='' -k $sock -p 5432"
    for setting in "$@"; do opts="$opts -c $setting"; done
    [ "$(id -u)" -eq 0 ] && touch "$log" && chown postgres "$log"
    as_owner "$bindir/pg_ctl" -D "$data" -l "$log" -w -t 30 -o "$opts" start >/dev/null
    ;;
  stop)
    as_owner "$bindir/pg_ctl" -D "$data" -m fast -w -t 30 stop >/dev/null
    ;;
  status)
    as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null
    ;;
  *)
    echo "usage: pg.sh init|start|stop|status DATA ..." >&2; exit 2 ;;
esac
