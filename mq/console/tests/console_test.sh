#!/usr/bin/env bash
# mqconsole in headless Chromium against a real cluster (deploy/cluster.sh
# 2m-noslave): mqconsole with an admin token, then console.test.mjs drives
# every page, creates a topic, finds an mqadmin message by key and watches a
# lag appear and drain. Also checks the API's refusals without a browser.
#   console_test.sh <build dir>
# Needs /usr/bin/chromium and the npm packages of this directory
# (deploy/install-deps.sh installs both).
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
export BUILD_DIR="$(cd "$1" && pwd)"
export PORT_OFFSET=auto
export CLUSTER_DIR="$(mktemp -d "${TMPDIR:-/tmp}/mqconsole-test.XXXXXX")"
console_pid=""
cleanup() {
  [ -n "$console_pid" ] && kill "$console_pid" 2>/dev/null && wait "$console_pid" 2>/dev/null
  bash "$ROOT/deploy/cluster.sh" down 2m-noslave >/dev/null 2>&1
  rm -rf "$CLUSTER_DIR"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$CLUSTER_DIR/console.log" ] && tail -20 "$CLUSTER_DIR/console.log" >&2; exit 1; }

[ -x /usr/bin/chromium ] || fail "/usr/bin/chromium is missing: run deploy/install-deps.sh"
if [ ! -d "$HERE/node_modules/playwright-core" ]; then
  (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error) || fail "npm ci in $HERE"
fi

bash "$ROOT/deploy/cluster.sh" up 2m-noslave >/dev/null || fail "cluster up"
OFF="$(cat "$CLUSTER_DIR/port_offset")"
N="127.0.0.1:$((9876 + OFF));127.0.0.1:$((9877 + OFF))"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
TOKEN="t-$RANDOM$RANDOM"
"$BUILD_DIR/mq/tools/mqconsole" -n "$N" --listen "127.0.0.1:$PORT" --token "$TOKEN" --sample-seconds 1 \
  >"$CLUSTER_DIR/console.log" 2>&1 &
console_pid=$!
URL="http://127.0.0.1:$PORT"
for _ in $(seq 100); do curl -fs "$URL/healthz" >/dev/null && break; sleep 0.1; done
curl -fs "$URL/healthz" >/dev/null || fail "mqconsole did not start"

# The API refuses bad input and unauthorised writes without changing anything.
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
[ "$(code -X POST "$URL/api/topics" -d '{"name":"NoToken"}')" = 401 ] || fail "a write without the token must be 401"
[ "$(code -X POST -H "X-Admin-Token: $TOKEN" "$URL/api/topics" -d 'not json')" = 400 ] || fail "bad JSON must be 400"
[ "$(code -X POST -H "X-Admin-Token: $TOKEN" "$URL/api/topics" -d '{"name":"a b"}')" = 400 ] || fail "a bad topic name must be 400"
[ "$(code -X POST -H "X-Admin-Token: $TOKEN" "$URL/api/topics" -d '{"name":"T","readQueueNums":0}')" = 400 ] || fail "0 queues must be 400"
[ "$(code "$URL/api/messages")" = 400 ] || fail "a message query without topic must be 400"
[ "$(code "$URL/api/topics/NoSuchTopic")" = 404 ] || fail "an unknown topic must be 404"
"$BUILD_DIR/mq/tools/mqadmin" topicRoute -n "$N" -t NoToken >/dev/null 2>&1 && fail "the refused write created a topic"

# Message search by time range, and by offsetMsgId, through the API.
A="$BUILD_DIR/mq/tools/mqadmin"
"$A" updateTopic -n "$N" -t ApiTopic -c DefaultCluster -r 2 -w 2 >/dev/null || fail "updateTopic ApiTopic"
sent=$("$A" sendMessage -n "$N" -t ApiTopic -p api-range-body --json) || fail "sendMessage ApiTopic"
oid=$(sed -n 's/.*"offsetMsgId": "\([0-9A-F]*\)".*/\1/p' <<<"$sent")
now=$(($(date +%s) * 1000 + 1000))
out=$(curl -fs "$URL/api/messages?topic=ApiTopic&begin=$((now - 60000))&end=$now") || fail "time-range query"
grep -q '"body":"api-range-body"' <<<"$out" || fail "time-range query did not find the message: $out"
out=$(curl -fs "$URL/api/messages?topic=ApiTopic&begin=0&end=1000") || fail "empty time-range query"
grep -q '"messages":\[\]' <<<"$out" || fail "a range before the message must be empty: $out"
out=$(curl -fs "$URL/api/message/$oid") || fail "message by offsetMsgId"
grep -q '"stage":"stored"' <<<"$out" || fail "no trace for $oid: $out"
[ "$(code "$URL/api/messages?topic=ApiTopic&begin=x")" = 400 ] || fail "a bad begin must be 400"

# A console without a token is read-only (403), and binds 127.0.0.1 by default.
RO_PORT=$(free_port)
env -u MQCONSOLE_TOKEN "$BUILD_DIR/mq/tools/mqconsole" -n "$N" --listen "127.0.0.1:$RO_PORT" >"$CLUSTER_DIR/console-ro.log" 2>&1 &
ro_pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$RO_PORT/healthz" >/dev/null && break; sleep 0.1; done
ro=$(code -X POST -H "X-Admin-Token: x" "http://127.0.0.1:$RO_PORT/api/topics" -d '{"name":"RO"}')
kill $ro_pid 2>/dev/null; wait $ro_pid 2>/dev/null
[ "$ro" = 403 ] || { cat "$CLUSTER_DIR/console-ro.log" >&2; fail "a console without a token must answer 403 to writes (got $ro)"; }

CONSOLE_URL="$URL" CONSOLE_TOKEN="$TOKEN" MQADMIN="$BUILD_DIR/mq/tools/mqadmin" NAMESRV="$N" \
  SHOT_DIR="${SHOT_DIR:-}" node "$HERE/console.test.mjs" || fail "browser test"
echo "mqconsole: all checks passed"
