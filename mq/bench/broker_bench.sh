#!/usr/bin/env bash
# The broker benchmark shapes of issue #4 with mqbench, against a fresh
# mqnamesrv + mqbroker on this machine (1 KiB bodies, one topic, 8 queues).
#
#   mq/bench/broker_bench.sh [BUILD_DIR=build] [SECONDS=10]
#
# Prints each mqbench SUMMARY line prefixed with its shape, and the broker's
# anonymous memory (RssAnon: RSS minus file-backed pages) after every shape and
# its peak. Compare the figures with ../shared/bench/store_bound.sh run in the
# same session (docs/benchmarks.md).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="$(cd "${1:-$ROOT/build}" && pwd)"
SECS="${2:-10}"
BENCH="$BUILD/mq/tools/mqbench"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/mq-broker-bench.XXXXXX")"
NS_PORT=$((20000 + RANDOM % 5000)); BR_PORT=$((NS_PORT + 5003))
NS="127.0.0.1:$NS_PORT"
NS_PID=""; BR_PID=""; PEAK_ANON=0
cleanup() {
  for p in $BR_PID $NS_PID; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

anon_kb() { awk '/RssAnon/ {print $2}' "/proc/$BR_PID/status"; }
note_mem() {
  local a; a=$(anon_kb)
  [ "$a" -gt "$PEAK_ANON" ] && PEAK_ANON=$a
  echo "    broker RssAnon ${a} kB (peak ${PEAK_ANON} kB)"
}

start() {  # start FLUSH_TYPE
  [ -n "$BR_PID" ] && { kill -TERM "$BR_PID"; wait "$BR_PID" 2>/dev/null || true; }
  rm -rf "$TMP/store"
  "$BUILD/mq/apps/mqbroker" -n "$NS" storePathRootDir="$TMP/store" listenPort=$BR_PORT brokerIP1=127.0.0.1 \
    brokerName=bench flushDiskType="$1" >"$TMP/broker-$1.log" 2>&1 &
  BR_PID=$!
  for _ in $(seq 100); do grep -q "boot success" "$TMP/broker-$1.log" 2>/dev/null && break; sleep 0.1; done
  "$BENCH" produce -n "$NS" -t BenchTopic -q 8 --create --count 1 -c 1 >/dev/null
}

run() {  # run LABEL mqbench-args...
  local label="$1"; shift
  local line
  line=$("$BENCH" "$@" -n "$NS" 2>"$TMP/bench.err" | grep '^SUMMARY' || true)
  [ -n "$line" ] || { echo "$label: no SUMMARY"; tail -5 "$TMP/bench.err"; }
  echo "$label: ${line#SUMMARY }"
  note_mem
}

"$BUILD/mq/apps/mqnamesrv" listenPort=$NS_PORT kvConfigPath= >"$TMP/ns.log" 2>&1 &
NS_PID=$!
sleep 0.5

start ASYNC_FLUSH
run "H1 async 64x1 e2e" e2e -t BenchTopic -c 64 -i 1 --duration "$SECS"
run "H3 async 1x1" produce -t BenchTopic -c 1 -i 1 --duration "$SECS"
run "H4 async 8x64" produce -t BenchTopic -c 8 -i 64 --duration "$SECS"
run "H4 async 8x4 batch16" produce -t BenchTopic -c 8 -i 4 --batch 16 --duration "$SECS"
start ASYNC_FLUSH
run "drain: backlog of 2,000,000" produce -t BenchTopic -c 8 -i 4 --batch 32 --count 2000000
run "drain: consume 2,000,000" consume -t BenchTopic -g drain_group --count 2000000
start SYNC_FLUSH
run "H2 sync 64x1" produce -t BenchTopic -c 64 -i 1 --duration "$SECS"
run "H2 sync 64x1 e2e" e2e -t BenchTopic -c 64 -i 1 --duration "$SECS"
run "H3 sync 1x1" produce -t BenchTopic -c 1 -i 1 --duration "$SECS"
echo "broker RssAnon peak: ${PEAK_ANON} kB"
