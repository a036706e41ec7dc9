#!/usr/bin/env bash
# Installs what is missing, builds (Release), and starts the whole shop under
# ./var/: a private PostgreSQL cluster, the name server, the broker and the
# shop services; waits until every service's /healthz answers, then prints
# where to send requests. Idempotent: a second run reuses what is there and
# starts only what is not running.
#
#   deploy/up.sh              # install, build, start
#   deploy/up.sh --no-build   # start what is already built
#   deploy/up.sh --clean      # stop everything and wipe var/ first
#   deploy/down.sh            # stop it again;  deploy/status.sh  # what runs
#
# Environment (defaults): VAR_DIR (./var), BUILD_DIR (./build-release),
# PG_PORT (first free port from 55432; remembered in var/pg/port),
# NAMESRV_PORT (9876), BROKER_PORT (10911), ORDER_PORT (8080), PAY_PORT (9090),
# GOODS_PORT (8081), COUPON_PORT (8082), USER_PORT (8083), CONSOLE_PORT (8089),
# NAMESRV_METRICS_PORT (5556), BROKER_METRICS_PORT (5557).
# Nothing is written outside the repository except installed packages.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

build_it=1
for a in "$@"; do
  case "$a" in
    --no-build) build_it=0 ;;
    --clean)
      bash "$ROOT/deploy/down.sh" || true
      [ -d "$VAR_DIR/pg" ] && bash "$ROOT/deploy/pg.sh" destroy "$VAR_DIR/pg"
      rm -rf "$VAR_DIR"; echo "up.sh: wiped $VAR_DIR" ;;
    *) echo "usage: $0 [--clean] [--no-build]" >&2; exit 2 ;;
  esac
done

if [ "$build_it" = 1 ]; then
  bash "$ROOT/deploy/install-deps.sh"
  build "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DMQ_BUILD_TESTS=OFF -DMQ_BUILD_BENCH=OFF
fi
mkdir -p "$VAR_DIR/log" "$VAR_DIR/run" "$VAR_DIR/conf" "$VAR_DIR/namesrv" "$VAR_DIR/broker"

# ---- PostgreSQL ---------------------------------------------------------------
pg_port="${PG_PORT:-}"
[ -z "$pg_port" ] && [ -f "$VAR_DIR/pg/port" ] && pg_port="$(cat "$VAR_DIR/pg/port")"
[ -z "$pg_port" ] && pg_port="$(free_port 55432)"
bash "$ROOT/deploy/pg.sh" start "$VAR_DIR/pg" "$pg_port"
PG_SUPER="postgresql://postgres@127.0.0.1:$pg_port"
if [ "$(psql -tAq "$PG_SUPER/postgres" -c "SELECT 1 FROM pg_database WHERE datname = 'shop'")" != 1 ]; then
  psql -q "$PG_SUPER/postgres" -c "CREATE DATABASE shop"
fi
psql -q -v ON_ERROR_STOP=1 "$PG_SUPER/shop" -f "$ROOT/sql/bootstrap.sql" 2>&1 | grep -v NOTICE || true
echo "up.sh: PostgreSQL on 127.0.0.1:$pg_port (data $VAR_DIR/pg/data), database shop"

# ---- name server and broker -------------------------------------------------------
if [ ! -f "$VAR_DIR/broker/broker.conf" ]; then
  cat >"$VAR_DIR/broker/broker.conf" <<CONF
# Written by deploy/up.sh on first start; RocketMQ 4.x broker.conf keys.
brokerClusterName=DefaultCluster
brokerName=broker-a
brokerId=0
brokerRole=ASYNC_MASTER
flushDiskType=ASYNC_FLUSH
brokerIP1=127.0.0.1
listenPort=$BROKER_PORT
storePathRootDir=$VAR_DIR/broker/store
# 128 MiB commit-log files keep a development machine's disk use small
# (RocketMQ's default is 1 GiB).
mappedFileSizeCommitLog=134217728
autoCreateTopicEnable=true
autoCreateSubscriptionGroup=true
deleteWhen=04
fileReservedTime=48
CONF
fi
# Both serve Prometheus text on 127.0.0.1 (docs/format/metrics.md).
start_proc mqnamesrv "boot success" "$BUILD_DIR/mq/apps/mqnamesrv" \
  "listenPort=$NAMESRV_PORT" "kvConfigPath=$VAR_DIR/namesrv/kvConfig.json" \
  metricsExporterType=PROM metricsPromExporterHost=127.0.0.1 "metricsPromExporterPort=$NAMESRV_METRICS_PORT"
start_proc mqbroker "boot success" "$BUILD_DIR/mq/apps/mqbroker" \
  -n "127.0.0.1:$NAMESRV_PORT" -c "$VAR_DIR/broker/broker.conf" \
  metricsExporterType=PROM metricsPromExporterHost=127.0.0.1 "metricsPromExporterPort=$BROKER_METRICS_PORT"
# The web console, on 127.0.0.1; its admin token is made on first start.
if [ ! -s "$VAR_DIR/conf/console.token" ]; then
  (umask 077; head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$VAR_DIR/conf/console.token")
fi
MQCONSOLE_TOKEN="$(cat "$VAR_DIR/conf/console.token")" start_proc mqconsole "mqconsole on" \
  "$BUILD_DIR/mq/tools/mqconsole" -n "127.0.0.1:$NAMESRV_PORT" --listen "127.0.0.1:$CONSOLE_PORT"

# ---- services -----------------------------------------------------------------------
started=(); missing=()
for svc in $SERVICES; do
  bin="$BUILD_DIR/services/$svc/shop-$svc"
  if [ ! -x "$bin" ]; then missing+=("$svc"); continue; fi
  conf="$VAR_DIR/conf/$svc.conf"
  if [ ! -f "$conf" ]; then
    write_service_conf "$svc" "$pg_port" >"$conf"
  fi
  start_proc "$svc" "listening on" "$bin" -c "$conf"
  started+=("$svc")
done
for svc in "${started[@]}"; do
  wait_healthy "$svc" "$(service_port "$svc")"
done
# Demo data (users, goods, coupons) once those services have created their tables.
if [[ " ${started[*]} " == *" goods "* && " ${started[*]} " == *" coupon "* && " ${started[*]} " == *" user "* ]]; then
  psql -q -v ON_ERROR_STOP=1 "$PG_SUPER/shop" -f "$ROOT/sql/demo/001_demo.sql"
  echo "up.sh: demo data loaded (users 1001-1003, goods 2001-2003, coupons 3001-3003)"
fi

echo
echo "Running (logs in $VAR_DIR/log, pids in $VAR_DIR/run):"
echo "  postgresql   127.0.0.1:$pg_port   database shop"
echo "  name server  127.0.0.1:$NAMESRV_PORT  (RocketMQ 4.x clients: namesrvAddr)"
echo "  broker       127.0.0.1:$BROKER_PORT   (metrics http://127.0.0.1:$BROKER_METRICS_PORT/metrics, name server's on :$NAMESRV_METRICS_PORT)"
echo "  mqconsole    http://127.0.0.1:$CONSOLE_PORT/   (admin token in $VAR_DIR/conf/console.token)"
for svc in "${started[@]}"; do printf '  %-12s http://127.0.0.1:%s\n' "$svc" "$(service_port "$svc")"; done
if [ ${#missing[@]} -gt 0 ]; then
  echo
  echo "Not built yet (see docs/status.md): ${missing[*]}"
fi
if [[ " ${started[*]} " == *" goods "* && " ${started[*]} " == *" user "* ]]; then
  cat <<MSG

Try the services (demo data: users 1001-1003, goods 2001-2003, coupons 3001-3003):
  curl -s http://127.0.0.1:$GOODS_PORT/goods/2001
  curl -s http://127.0.0.1:$USER_PORT/user/1001
  curl -s -X POST http://127.0.0.1:$GOODS_PORT/goods/reduce -H 'Content-Type: application/json' \\
    -d '{"goodsId":"2001","orderId":"42","goodsNumber":1}'
MSG
fi
if [ ${#missing[@]} -eq 0 ]; then
  cat <<MSG

Try an order (alice buys two books with a coupon and 20.00 of her balance):
  curl -s -X POST http://127.0.0.1:$ORDER_PORT/order/confirm -H 'Content-Type: application/json' \\
    -d '{"goodsId":"2001","userId":"1001","goodsNumber":2,"goodsPrice":"89.00","shippingFee":"0.00","orderAmount":"178.00","couponId":"3001","moneyPaid":"20.00","address":"1 Main St","consignee":"Alice"}'
  # → data.orderId; then pay the rest (178.00 - 10.00 coupon - 20.00 balance):
  curl -s -X POST http://127.0.0.1:$PAY_PORT/pay/createPayment -H 'Content-Type: application/json' \\
    -d '{"orderId":"<orderId>","payAmount":"148.00"}'
  curl -s -X POST http://127.0.0.1:$PAY_PORT/pay/callbackPayment -H 'Content-Type: application/json' \\
    -d '{"payId":"<payId>","isPaid":2}'
  curl -s http://127.0.0.1:$ORDER_PORT/order/<orderId>          # payStatus 2 once the paid message is consumed
  curl -s -X POST http://127.0.0.1:$ORDER_PORT/order/<orderId>/ship
  curl -s http://127.0.0.1:$ORDER_PORT/order/<orderId>/steps    # created, paid, shipped (ordered queue)
MSG
fi
echo
echo "Stop with: deploy/down.sh   (status: deploy/status.sh)"
