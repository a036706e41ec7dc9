#!/usr/bin/env bash
# Starts, stops or shows a RocketMQ-style cluster on this host: two name
# servers and the brokers of one layout in deploy/conf/<layout>/ (each with
# its own store under the cluster directory). docs/cluster.md explains the
# layouts and how the same files run on real hosts.
#
#   deploy/cluster.sh up     <layout>   # 2m-noslave | 2m-2s-async | 2m-2s-sync
#   deploy/cluster.sh down   <layout>
#   deploy/cluster.sh status <layout>
#
# Environment (defaults): BUILD_DIR (./build-release; built when missing),
# CLUSTER_DIR (./var/cluster/<layout>), PORT_OFFSET (0) added to every port
# (name servers 9876 and 9877, brokers 10911/10921/10931/10941 and their HA
# ports +1) -- e.g. PORT_OFFSET=1000 beside the shop's own broker, or
# PORT_OFFSET=auto for a free one (written to $CLUSTER_DIR/port_offset).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

usage() { echo "usage: $0 up|down|status 2m-noslave|2m-2s-async|2m-2s-sync" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd="$1" layout="$2"
CONF_DIR="$ROOT/deploy/conf/$layout"
[ -d "$CONF_DIR" ] || { echo "cluster.sh: no layout $layout in deploy/conf" >&2; usage; }
CLUSTER_DIR="${CLUSTER_DIR:-$ROOT/var/cluster/$layout}"
# PORT_OFFSET=auto: a random offset whose ports are all free, remembered in
# $CLUSTER_DIR/port_offset so that down/status (and scripts) find it.
all_ports_free() {
  local off="$1" p
  for p in 9876 9877 10909 10910 10911 10912 10919 10920 10921 10922 10929 10930 10931 10932 10939 10940 10941 10942; do
    ss -ltnH "sport = :$((p + off))" 2>/dev/null | grep -q . && return 1
  done
  return 0
}
OFF="${PORT_OFFSET:-0}"
if [ -f "$CLUSTER_DIR/port_offset" ] && [ "$OFF" = auto ]; then OFF="$(cat "$CLUSTER_DIR/port_offset")"; fi
if [ "$OFF" = auto ]; then
  for _ in $(seq 100); do
    OFF=$((1000 + RANDOM % 19000))
    all_ports_free "$OFF" && break
  done
fi
mkdir -p "$CLUSTER_DIR" && echo "$OFF" >"$CLUSTER_DIR/port_offset"
NS1=$((9876 + OFF)) NS2=$((9877 + OFF))
NAMESRV="127.0.0.1:$NS1;127.0.0.1:$NS2"
# Masters first, so a slave learns its master's HA address on its first
# registration.
BROKERS=()
for f in "$CONF_DIR"/*.properties; do
  n="$(basename "$f" .properties)"
  [[ "$n" == *-s ]] || BROKERS+=("$n")
done
for f in "$CONF_DIR"/*-s.properties; do [ -e "$f" ] && BROKERS+=("$(basename "$f" .properties)"); done

conf_port() { sed -n "s/^$2=//p" "$CONF_DIR/$1.properties"; }
pid_of() { local f="$CLUSTER_DIR/run/$1.pid"; [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && cat "$f"; }

# start_proc/… from lib.sh write under $VAR_DIR/{run,log}.
VAR_DIR="$CLUSTER_DIR"

case "$cmd" in
  up)
    if [ ! -x "$BUILD_DIR/mq/apps/mqbroker" ]; then
      bash "$ROOT/deploy/install-deps.sh"
      build "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DMQ_BUILD_TESTS=OFF -DMQ_BUILD_BENCH=OFF
    fi
    mkdir -p "$CLUSTER_DIR"
    start_proc namesrv-1 "boot success" "$BUILD_DIR/mq/apps/mqnamesrv" "listenPort=$NS1" \
      "kvConfigPath=$CLUSTER_DIR/namesrv-1/kvConfig.json"
    start_proc namesrv-2 "boot success" "$BUILD_DIR/mq/apps/mqnamesrv" "listenPort=$NS2" \
      "kvConfigPath=$CLUSTER_DIR/namesrv-2/kvConfig.json"
    for b in "${BROKERS[@]}"; do
      port=$(($(conf_port "$b" listenPort) + OFF))
      start_proc "$b" "boot success" "$BUILD_DIR/mq/apps/mqbroker" -n "$NAMESRV" -c "$CONF_DIR/$b.properties" \
        "storePathRootDir=$CLUSTER_DIR/$b/store" "listenPort=$port" "haListenPort=$((port + 1))"
    done
    echo
    echo "cluster $layout up (logs in $CLUSTER_DIR/log):"
    echo "  name servers  $NAMESRV   (clients: namesrvAddr=\"$NAMESRV\")"
    for b in "${BROKERS[@]}"; do
      printf '  %-12s 127.0.0.1:%s  %s\n' "$b" "$(($(conf_port "$b" listenPort) + OFF))" "$(conf_port "$b" brokerRole)"
    done
    ;;
  down)
    # Slaves first, then masters, then the name servers: graceful (SIGTERM).
    order=()
    for ((i = ${#BROKERS[@]} - 1; i >= 0; i--)); do order+=("${BROKERS[$i]}"); done
    order+=(namesrv-2 namesrv-1)
    for n in "${order[@]}"; do
      if p=$(pid_of "$n"); then
        kill -TERM "$p"
        for _ in $(seq 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$p" 2>/dev/null && { echo "cluster.sh: $n did not stop; killing" >&2; kill -KILL "$p"; }
        echo "cluster.sh: $n stopped"
      fi
      rm -f "$CLUSTER_DIR/run/$n.pid"
    done
    ;;
  status)
    rc=0
    for n in namesrv-1 namesrv-2 "${BROKERS[@]}"; do
      if p=$(pid_of "$n"); then printf '  %-12s running (pid %s)\n' "$n" "$p"; else printf '  %-12s stopped\n' "$n"; rc=3; fi
    done
    exit $rc
    ;;
  *) usage ;;
esac
