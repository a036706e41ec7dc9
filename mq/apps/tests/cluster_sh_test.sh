#!/usr/bin/env bash
# deploy/cluster.sh end to end: up, status, a send and a route through both
# name servers, down -- for the 2m-noslave layout (the HA layouts run in
# mq_cluster_integration_test and mq/bench/ha_bench.sh).
#   cluster_sh_test.sh <build dir>
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
export BUILD_DIR="$(cd "$1" && pwd)"
export PORT_OFFSET=auto
export CLUSTER_DIR="$(mktemp -d "${TMPDIR:-/tmp}/cluster-sh.XXXXXX")"
trap 'bash "$ROOT/deploy/cluster.sh" down 2m-noslave >/dev/null 2>&1 || true; rm -rf "$CLUSTER_DIR"' EXIT
fail() { echo "FAIL: $*" >&2; tail -n 20 "$CLUSTER_DIR"/log/*.log >&2 || true; exit 1; }

bash "$ROOT/deploy/cluster.sh" up 2m-noslave || fail "up"
bash "$ROOT/deploy/cluster.sh" status 2m-noslave || fail "status after up"
again=$(bash "$ROOT/deploy/cluster.sh" up 2m-noslave) || fail "second up"
[ "$(grep -c "already running" <<<"$again")" = 4 ] || fail "a second up restarted something: $again"
# Both masters registered with both name servers; mqbench sends through them.
OFF="$(cat "$CLUSTER_DIR/port_offset")"
NS="127.0.0.1:$((9876 + OFF));127.0.0.1:$((9877 + OFF))"
out=$("$BUILD_DIR/mq/tools/mqbench" produce -n "$NS" -t ClusterShTopic --create -q 4 -c 4 --count 2000 2>&1) ||
  fail "mqbench: $out"
echo "$out" | grep -q "failed=0" || fail "sends failed: $out"
for b in broker-a broker-b; do
  grep -q "created topic ClusterShTopic" <<<"$out" || fail "topic not created"
  [ -d "$CLUSTER_DIR/$b/store/commitlog" ] || fail "$b has no store under $CLUSTER_DIR"
done
bash "$ROOT/deploy/cluster.sh" down 2m-noslave || fail "down"
if bash "$ROOT/deploy/cluster.sh" status 2m-noslave; then fail "status says running after down"; fi
# Graceful: no abort file left.
for b in broker-a broker-b; do [ ! -e "$CLUSTER_DIR/$b/store/abort" ] || fail "$b left its abort file"; done
bash "$ROOT/deploy/cluster.sh" up no-such-layout 2>/dev/null && fail "an unknown layout was accepted"
echo "cluster.sh: ok"
