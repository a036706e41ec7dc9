#!/usr/bin/env bash
# Installs what is missing, builds, and starts the main job under ./run/.
# The goal is the whole shop (private PostgreSQL, name server, broker, five
# services). Today this starts every server that exists -- the name server and
# the broker -- and says plainly what is not there yet (docs/status.md).
#
#   deploy/up.sh              # install, build, start
#   deploy/up.sh --no-build   # start what is already built
#   deploy/down.sh            # stop it again
#
# Environment: RUN_DIR (default ./run), NAMESRV_PORT (default 9876),
# BROKER_PORT (default 10911). The broker's config is $RUN_DIR/broker/broker.conf,
# written on first start and then yours to edit (RocketMQ's broker.conf keys).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

RUN_DIR="${RUN_DIR:-$ROOT/run}"
NAMESRV_PORT="${NAMESRV_PORT:-9876}"
BROKER_PORT="${BROKER_PORT:-10911}"
if [ "${1:-}" != "--no-build" ]; then
  bash "$ROOT/deploy/install-deps.sh"
  build "$ROOT/build"
fi
mkdir -p "$RUN_DIR/logs" "$RUN_DIR/namesrv" "$RUN_DIR/broker"
if [ ! -f "$RUN_DIR/broker/broker.conf" ]; then
  cat >"$RUN_DIR/broker/broker.conf" <<CONF
# Written by deploy/up.sh on first start; RocketMQ 4.x broker.conf keys.
brokerClusterName=DefaultCluster
brokerName=broker-a
brokerId=0
brokerRole=ASYNC_MASTER
flushDiskType=ASYNC_FLUSH
brokerIP1=127.0.0.1
listenPort=$BROKER_PORT
storePathRootDir=$RUN_DIR/broker/store
# 128 MiB commit-log files keep a development machine's disk use small
# (RocketMQ's default is 1 GiB).
mappedFileSizeCommitLog=134217728
autoCreateTopicEnable=true
autoCreateSubscriptionGroup=true
deleteWhen=04
fileReservedTime=48
CONF
fi

# start_proc NAME READY_TEXT CMD...: start once, wait until its log says READY_TEXT.
start_proc() {
  local name="$1" ready="$2"; shift 2
  local pidf="$RUN_DIR/$name.pid" logf="$RUN_DIR/logs/$name.log"
  if [ -f "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null; then
    echo "up.sh: $name already running (pid $(cat "$pidf"))"
    return 0
  fi
  nohup "$@" >"$logf" 2>&1 &
  echo $! >"$pidf"
  for _ in $(seq 100); do
    if grep -q "$ready" "$logf" 2>/dev/null; then
      echo "up.sh: $name started (pid $(cat "$pidf")), log $logf"
      return 0
    fi
    if ! kill -0 "$(cat "$pidf")" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "up.sh: $name failed to start; last log lines:" >&2
  tail -n 20 "$logf" >&2 || true
  rm -f "$pidf"
  return 1
}

start_proc mqnamesrv "boot success" "$ROOT/build/mq/apps/mqnamesrv" \
  "listenPort=$NAMESRV_PORT" "kvConfigPath=$RUN_DIR/namesrv/kvConfig.json"

start_proc mqbroker "boot success" "$ROOT/build/mq/apps/mqbroker" \
  -n "127.0.0.1:$NAMESRV_PORT" -c "$RUN_DIR/broker/broker.conf"

cat <<MSG

Running:
  name server   127.0.0.1:$NAMESRV_PORT   (RocketMQ 4.x remoting protocol; point clients' namesrvAddr here)
  broker        127.0.0.1:$BROKER_PORT  (broker-a, store $RUN_DIR/broker/store)

Not there yet (see docs/status.md): the shop's PostgreSQL and its five HTTP
services. Stop with: deploy/down.sh
MSG
