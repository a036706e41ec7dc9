#!/usr/bin/env bash
# Stops what deploy/up.sh started, by recorded PIDs: the services first, then
# the broker (it flushes and unregisters), the name server, and PostgreSQL.
# SIGTERM, then SIGKILL after 30 s.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

stop_pid() {
  local pidf="$1" name pid
  [ -e "$pidf" ] || return 0
  name="$(basename "$pidf" .pid)"; pid="$(cat "$pidf")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; echo "down.sh: $name killed"; else echo "down.sh: $name stopped"; fi
  fi
  rm -f "$pidf"
}

for svc in pay order user coupon goods mqconsole; do stop_pid "$VAR_DIR/run/$svc.pid"; done
stop_pid "$VAR_DIR/run/mqbroker.pid"
stop_pid "$VAR_DIR/run/mqnamesrv.pid"
if [ -d "$VAR_DIR/pg/data" ]; then
  bash "$ROOT/deploy/pg.sh" stop "$VAR_DIR/pg" && echo "down.sh: postgresql stopped"
fi
