#!/usr/bin/env bash
# Orders/s and latency of POST /order/confirm with wrk, against the shop that
# deploy/up.sh runs (it must be up): first the payment callback's latency on
# one connection, then confirm on the normal path, then the compensation
# path (the order service restarted with SHOP_FAULTS=before_confirm=fail, so
# every order runs steps 1-5, then is cancelled through the outbox and the
# consumers undo steps 3-5), then the order service is restarted normally.
#
#   tests/e2e/bench/confirm_bench.sh [seconds=20] [connections=32]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
source "$ROOT/deploy/lib.sh"
secs="${1:-20}"; conns="${2:-32}"
command -v wrk >/dev/null || { echo "wrk is missing: deploy/install-deps.sh" >&2; exit 1; }
[ -f "$VAR_DIR/pg/port" ] || { echo "the shop is not up: run deploy/up.sh first" >&2; exit 1; }
PSQL=(psql -q -v ON_ERROR_STOP=1 "postgresql://postgres@127.0.0.1:$(cat "$VAR_DIR/pg/port")/shop")

"${PSQL[@]}" <<SQL
INSERT INTO users.trade_user (user_id, user_name, user_password, user_money)
  SELECT 900000 + i, 'bench' || i, 'x', 1000000.00 FROM generate_series(1, 1000) i ON CONFLICT DO NOTHING;
UPDATE users.trade_user SET user_money = 1000000.00 WHERE user_id BETWEEN 900001 AND 901000;
INSERT INTO goods.trade_goods (goods_id, goods_name, goods_number, goods_price)
  SELECT 800000 + i, 'bench goods ' || i, 1000000, 50.00 FROM generate_series(1, 100) i ON CONFLICT DO NOTHING;
UPDATE goods.trade_goods SET goods_number = 1000000 WHERE goods_id BETWEEN 800001 AND 800100;
SQL

count() { "${PSQL[@]}" -tAc "SELECT count(*) FILTER (WHERE order_status = 1), count(*) FILTER (WHERE order_status = 2) FROM orders.trade_order WHERE address = 'bench'"; }
run() {
  local label="$1"
  local before after
  before=$(count)
  echo "== $label: wrk -t2 -c$conns -d${secs}s =="
  wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$ROOT/tests/e2e/bench/confirm.lua" "http://127.0.0.1:$ORDER_PORT" | tee "$VAR_DIR/log/wrk-$label.txt"
  after=$(count)
  echo "orders before (confirmed|cancelled): $before; after: $after"
}

restart_order() {
  local pidf="$VAR_DIR/run/order.pid"
  if [ -f "$pidf" ]; then kill "$(cat "$pidf")" 2>/dev/null || true; for _ in $(seq 100); do kill -0 "$(cat "$pidf")" 2>/dev/null || break; sleep 0.1; done; rm -f "$pidf"; fi
  SHOP_FAULTS="$1" start_proc order "listening on" "$BUILD_DIR/services/order/shop-order" -c "$VAR_DIR/conf/order.conf"
  wait_healthy order "$ORDER_PORT"
}

# The payment callback on an otherwise idle shop: one connection, each
# request pays a fresh payment (half message, local transaction, commit).
"${PSQL[@]}" <<SQL
DELETE FROM pay.trade_pay WHERE pay_id > 600000000 AND pay_id <= 600100000;
INSERT INTO pay.trade_pay (pay_id, order_id, user_id, pay_amount, is_paid)
  SELECT 600000000 + i, 700000000 + i, 900001, 10.00, 1 FROM generate_series(1, 100000) i;
SQL
echo "== callback: wrk -t1 -c1 -d${secs}s =="
BENCH_THREADS=1 wrk -t1 -c1 -d"${secs}s" --latency -s "$ROOT/tests/e2e/bench/callback.lua" "http://127.0.0.1:$PAY_PORT" | tee "$VAR_DIR/log/wrk-callback.txt"
echo "payments paid by the run: $("${PSQL[@]}" -tAc "SELECT count(*) FROM pay.trade_pay WHERE pay_id > 600000000 AND is_paid = 2")"

run normal
restart_order "before_confirm=fail"
run compensation
restart_order ""
echo "waiting for the compensations to be consumed..."
for _ in $(seq 120); do
  left=$("${PSQL[@]}" -tAc "SELECT count(*) FROM orders.trade_order o JOIN goods.trade_goods_number_log l ON l.order_id = o.order_id AND l.log_type = 1 WHERE o.order_status = 2 AND o.address = 'bench' AND NOT EXISTS (SELECT 1 FROM goods.trade_goods_number_log r WHERE r.order_id = o.order_id AND r.log_type = 2)")
  [ "$left" = "0" ] && break
  sleep 1
done
echo "cancelled bench orders whose stock is not restored yet: $left"
