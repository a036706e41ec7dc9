#!/usr/bin/env bash
# What deploy/up.sh started and whether it answers.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

line() { printf '  %-12s %-8s %s\n' "$1" "$2" "$3"; }
echo "shop under $VAR_DIR:"
if bash "$ROOT/deploy/pg.sh" status "$VAR_DIR/pg" 2>/dev/null; then
  line postgresql up "127.0.0.1:$(cat "$VAR_DIR/pg/port")"
else
  line postgresql down ""
fi
for name in mqnamesrv mqbroker mqconsole $SERVICES; do
  pidf="$VAR_DIR/run/$name.pid"
  if [ -f "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null; then
    port="$(service_port "$name")"
    if [ -n "$port" ]; then
      if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then
        line "$name" up "pid $(cat "$pidf"), http://127.0.0.1:$port"
      else
        line "$name" sick "pid $(cat "$pidf"), /healthz does not answer on $port"
      fi
    else
      line "$name" up "pid $(cat "$pidf")"
    fi
  else
    line "$name" down ""
  fi
done
