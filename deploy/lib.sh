# Shared helpers for the deploy scripts (sourced, not run).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JOBS="${JOBS:-$(nproc)}"
VAR_DIR="${VAR_DIR:-$ROOT/var}"
BUILD_DIR="${BUILD_DIR:-$ROOT/build-release}"
NAMESRV_PORT="${NAMESRV_PORT:-9876}"
BROKER_PORT="${BROKER_PORT:-10911}"
ORDER_PORT="${ORDER_PORT:-8080}"
PAY_PORT="${PAY_PORT:-9090}"
GOODS_PORT="${GOODS_PORT:-8081}"
COUPON_PORT="${COUPON_PORT:-8082}"
USER_PORT="${USER_PORT:-8083}"
CONSOLE_PORT="${CONSOLE_PORT:-8089}"              # mqconsole (web console)
NAMESRV_METRICS_PORT="${NAMESRV_METRICS_PORT:-5556}"  # Prometheus /metrics
BROKER_METRICS_PORT="${BROKER_METRICS_PORT:-5557}"
# Start order: the services others call first.
SERVICES="goods coupon user order pay"

# build <dir> [cmake args...]: configure once, then build everything.
build() {
  local dir="$1"; shift
  if [ ! -f "$dir/build.ninja" ]; then
    cmake -S "$ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
  fi
  cmake --build "$dir" -j "$JOBS"
}

# free_port START: the first TCP port >= START nobody listens on.
free_port() {
  local p="$1"
  while ss -ltnH "sport = :$p" 2>/dev/null | grep -q .; do p=$((p + 1)); done
  echo "$p"
}

service_port() {
  case "$1" in
    order) echo "$ORDER_PORT" ;; pay) echo "$PAY_PORT" ;; goods) echo "$GOODS_PORT" ;;
    coupon) echo "$COUPON_PORT" ;; user) echo "$USER_PORT" ;;
    mqconsole) echo "$CONSOLE_PORT" ;;
    mqnamesrv) echo "$NAMESRV_METRICS_PORT" ;; mqbroker) echo "$BROKER_METRICS_PORT" ;;
  esac
}

service_role() {
  case "$1" in order) echo shop_order ;; pay) echo shop_pay ;; goods) echo shop_goods ;; coupon) echo shop_coupon ;; user) echo shop_user ;; esac
}

service_schema() {
  case "$1" in order) echo orders ;; user) echo users ;; *) echo "$1" ;; esac
}

# write_service_conf SERVICE PG_PORT: a service's config file (key=value;
# every key can be overridden by the environment, see docs).
write_service_conf() {
  local svc="$1" pg_port="$2"
  cat <<CONF
# Written by deploy/up.sh on first start. Keys: docs/shop/config.md.
service.name=$svc
http.port=$(service_port "$svc")
db.url=postgresql://$(service_role "$svc")@127.0.0.1:$pg_port/shop
db.schema=$(service_schema "$svc")
sql.dir=$ROOT/sql
mq.namesrv=127.0.0.1:$NAMESRV_PORT
service.goods=127.0.0.1:$GOODS_PORT
service.coupon=127.0.0.1:$COUPON_PORT
service.user=127.0.0.1:$USER_PORT
service.order=127.0.0.1:$ORDER_PORT
service.pay=127.0.0.1:$PAY_PORT
CONF
}

# start_proc NAME READY_TEXT CMD...: start once (pid in $VAR_DIR/run), wait
# until its log says READY_TEXT.
start_proc() {
  local name="$1" ready="$2"; shift 2
  local pidf="$VAR_DIR/run/$name.pid" logf="$VAR_DIR/log/$name.log"
  mkdir -p "$VAR_DIR/run" "$VAR_DIR/log"
  if [ -f "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null; then
    echo "up.sh: $name already running (pid $(cat "$pidf"))"
    return 0
  fi
  # Where this start's lines begin: counted before the process can write.
  local start_line=0
  [ -f "$logf" ] && start_line=$(wc -l <"$logf")
  nohup "$@" >>"$logf" 2>&1 &
  echo $! >"$pidf"
  for _ in $(seq 200); do
    if tail -n +"$((start_line + 1))" "$logf" 2>/dev/null | grep -q "$ready"; then
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

# wait_healthy NAME PORT: until GET /healthz answers 200 (30 s).
wait_healthy() {
  for _ in $(seq 300); do
    if curl -fsS "http://127.0.0.1:$2/healthz" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "up.sh: $1 did not become healthy on port $2" >&2
  return 1
}
