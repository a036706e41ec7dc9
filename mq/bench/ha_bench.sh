#!/usr/bin/env bash
# SYNC_MASTER vs ASYNC_MASTER send throughput and latency (issue #7): for
# each layout, deploy/cluster.sh starts two name servers and the four brokers
# of deploy/conf/<layout> under a temporary directory (ports shifted by
# PORT_OFFSET, default 3000), mqbench produces to a topic on both masters,
# and the cluster is stopped again.
#
#   mq/bench/ha_bench.sh [BUILD_DIR=build] [SECONDS=10] [CONNECTIONS=16]
#
# Prints each mqbench SUMMARY line prefixed with its layout.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="$(cd "${1:-$ROOT/build}" && pwd)"
SECS="${2:-10}"
CONNS="${3:-16}"
export PORT_OFFSET="${PORT_OFFSET:-3000}"
export BUILD_DIR="$BUILD"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/mq-ha-bench.XXXXXX")"
NS="127.0.0.1:$((9876 + PORT_OFFSET));127.0.0.1:$((9877 + PORT_OFFSET))"
current=""
cleanup() {
  [ -n "$current" ] && CLUSTER_DIR="$TMP/$current" bash "$ROOT/deploy/cluster.sh" down "$current" >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT

for layout in 2m-2s-async 2m-2s-sync; do
  current="$layout"
  CLUSTER_DIR="$TMP/$layout" bash "$ROOT/deploy/cluster.sh" up "$layout" >/dev/null
  # Let both slaves connect before measuring (a SYNC_MASTER without one
  # answers SLAVE_NOT_AVAILABLE).
  for b in broker-a broker-b; do
    for _ in $(seq 100); do grep -q "HA: streaming to slave" "$TMP/$layout/log/$b.log" && break; sleep 0.1; done
  done
  line=$("$BUILD/mq/tools/mqbench" produce -n "$NS" -t HaBench --create -q 8 -s 1024 -c "$CONNS" \
    --duration "$SECS" 2>/dev/null | grep SUMMARY || true)
  echo "$layout $CONNS conns x 1: ${line:-no SUMMARY (see $TMP/$layout/log)}"
  CLUSTER_DIR="$TMP/$layout" bash "$ROOT/deploy/cluster.sh" down "$layout" >/dev/null
  current=""
done
