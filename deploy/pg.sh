#!/usr/bin/env bash
# A private PostgreSQL 15 cluster under a directory of our own, for the deploy
# scripts and the test harnesses. PostgreSQL refuses to run as root: when
# invoked as root the cluster belongs to the `postgres` system user (created
# by Debian's package) and every server command runs through runuser.
#
#   deploy/pg.sh start DIR PORT   # initdb on first use, start, wait until it accepts connections
#   deploy/pg.sh stop DIR         # fast shutdown (no-op when not running)
#   deploy/pg.sh status DIR       # exit 0 when running
#   deploy/pg.sh url DIR          # the superuser URL of a running cluster
#
# The cluster listens on 127.0.0.1:PORT and on a Unix socket in DIR, with
# trust authentication for local connections (it is reachable only from this
# machine; services connect as their own roles). PG_FAST=1 turns off fsync
# (tests only: a crash of the machine may lose data).
set -euo pipefail

cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start DIR PORT | stop DIR | status DIR | url DIR" >&2; exit 2; }

bindir=""
for d in /usr/lib/postgresql/15/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -Vr); do
  if [ -x "$d/pg_ctl" ]; then bindir=$d; break; fi
done
[ -n "$bindir" ] || { echo "pg.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
data="$dir/data"

case "$cmd" in
  start)
    port=${3:?port}
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir"; fi
    if [ ! -f "$data/PG_VERSION" ]; then
      as_owner "$bindir/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 \
        || { echo "pg.sh: initdb failed, see $dir/initdb.log" >&2; tail -5 "$dir/initdb.log" >&2; exit 1; }
    fi
    if as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
      echo "$port" >"$dir/port"; exit 0
    fi
    extra=""
    [ "${PG_FAST:-0}" = 1 ] && extra="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    as_owner "$bindir/pg_ctl" -D "$data" -l "$dir/postgres.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200 $extra" start >/dev/null \
      || { echo "pg.sh: PostgreSQL did not start, see $dir/postgres.log" >&2; tail -5 "$dir/postgres.log" >&2; exit 1; }
    echo "$port" >"$dir/port"
    ;;
  stop)
    if [ -f "$data/PG_VERSION" ] && as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
      as_owner "$bindir/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null
    fi
    ;;
  status)
    [ -f "$data/PG_VERSION" ] && as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1
    ;;
  url)
    echo "postgresql://postgres@127.0.0.1:$(cat "$dir/port")/postgres"
    ;;
  *) echo "pg.sh: unknown command $cmd" >&2; exit 2 ;;
esac
