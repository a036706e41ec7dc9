#!/usr/bin/env bash
# Stops what deploy/up.sh started (SIGTERM, then waits; SIGKILL after 30 s).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN_DIR="${RUN_DIR:-$ROOT/run}"
# Services first, then the broker (it flushes and unregisters), then the name server.
ordered=()
for pidf in "$RUN_DIR"/*.pid; do
  case "$(basename "$pidf")" in mqbroker.pid|mqnamesrv.pid) ;; *) ordered+=("$pidf") ;; esac
done
ordered+=("$RUN_DIR/mqbroker.pid" "$RUN_DIR/mqnamesrv.pid")
for pidf in "${ordered[@]}"; do
  [ -e "$pidf" ] || continue
  name="$(basename "$pidf" .pid)"; pid="$(cat "$pidf")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; echo "down.sh: $name killed"; else echo "down.sh: $name stopped"; fi
  fi
  rm -f "$pidf"
done
