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
#   deploy/pg.sh destroy DIR      # stop and delete the cluster
#
# The cluster listens on 127.0.0.1:PORT and on a Unix socket in DIR, with
# trust authentication for local connections (it is reachable only from this
# machine; services connect as their own roles). PG_FAST=1 turns off fsync
# (tests only: a crash of the machine may lose data).
set -euo pipefail

cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start DIR PORT | stop DIR | status DIR | url DIR | destroy DIR" >&2; exit 2; }

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
# Where the server keeps its data, socket and log: DIR itself, or -- when we
# are root and the postgres user cannot enter DIR (a checkout under /root) --
# a directory in the postgres user's home, /var/lib/postgresql/shop-<hash>,
# recorded in DIR/home so every later call finds it.
home="$dir"
if [ -f "$dir/home" ]; then
  home="$(cat "$dir/home")"
elif [ "$(id -u)" -eq 0 ] && [ "$cmd" = start ]; then
  chown postgres: "$dir"
  if ! runuser -u postgres -- test -w "$dir"; then
    home="/var/lib/postgresql/shop-$(printf '%s' "$dir" | md5sum | cut -c1-12)"
    mkdir -p "$home" && chown postgres: "$home"
    echo "$home" >"$dir/home"
    echo "pg.sh: the postgres user cannot enter $dir; keeping the cluster in $home (see $dir/home)" >&2
  fi
fi
data="$home/data"

case "$cmd" in
  start)
    port=${3:?port}
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$home"; fi
    if [ ! -f "$data/PG_VERSION" ]; then
      as_owner "$bindir/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 \
        || { echo "pg.sh: initdb failed, see $dir/initdb.log" >&2; tail -5 "$dir/initdb.log" >&2; exit 1; }
    fi
    if as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
      echo "$port" >"$dir/port"; exit 0
    fi
    extra=""
    [ "${PG_FAST:-0}" = 1 ] && extra="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    as_owner "$bindir/pg_ctl" -D "$data" -l "$home/postgres.log" -w -t 60 \
      -o "-p $port -k $home -c listen_addresses=127.0.0.1 -c max_connections=200 $extra" start >/dev/null \
      || { echo "pg.sh: PostgreSQL did not start, see $home/postgres.log" >&2; tail -5 "$home/postgres.log" >&2; exit 1; }
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
  destroy)
    # Stop and remove the cluster (and its home outside DIR, if it has one).
    if [ -f "$data/PG_VERSION" ] && as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
      as_owner "$bindir/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null
    fi
    if [ "$home" != "$dir" ]; then rm -rf "$home"; fi
    rm -rf "$dir"
    ;;
  url)
    echo "postgresql://postgres@127.0.0.1:$(cat "$dir/port")/postgres"
    ;;
  *) echo "pg.sh: unknown command $cmd" >&2; exit 2 ;;
esac
