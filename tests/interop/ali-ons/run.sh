#!/usr/bin/env bash
# Interop test against the unmodified ali-ons RocketMQ client (npm).
#
#   tests/interop/ali-ons/run.sh [BUILD_DIR]      (BUILD_DIR defaults to <repo>/build)
#
# Starts mqnamesrv and mqbroker from BUILD_DIR on free ports in a temporary directory, installs
# ali-ons (npm ci, pinned by package-lock.json) when node_modules is missing or outdated, runs
# interop.js, stops both servers and removes the temporary directory. The exit code is the
# test's. On failure the tails of the server and client logs are printed.
#
# Environment: KEEP_TMP=1 keeps the temporary directory; VERBOSE=1 echoes client warnings;
# INTEROP_N, INTEROP_BCAST_N, INTEROP_TIMEOUT_S are passed to interop.js;
# ALI_ONS_CACHE overrides the install directory used when this folder is not writable.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../../.." && pwd)"
BUILD_DIR="${1:-$REPO/build}" # a relative BUILD_DIR is relative to the current directory
BUILD_DIR="$(cd "$BUILD_DIR" 2>/dev/null && pwd)" || { echo "run.sh: build dir '${1:-$REPO/build}' not found" >&2; exit 2; }
NAMESRV_BIN="$BUILD_DIR/mq/apps/mqnamesrv"
BROKER_CMD=("$BUILD_DIR/mq/apps/mqbroker")
for b in "$NAMESRV_BIN" "${BROKER_CMD[0]}"; do
  [[ "$b" == node || -x "$b" ]] || { echo "run.sh: $b not found or not executable" >&2; exit 2; }
done
command -v node >/dev/null || { echo "run.sh: node not found" >&2; exit 2; }
command -v npm >/dev/null || { echo "run.sh: npm not found" >&2; exit 2; }

TMP="$(mktemp -d "${TMPDIR:-/tmp}/mq-interop-ali-ons.XXXXXX")"
NS_PID=""
BROKER_PID=""
RC=1

stop_pid() { # pid name: SIGTERM, wait up to 15 s, then SIGKILL
  local pid="$1" name="$2" i
  [[ -n "$pid" ]] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 150; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "run.sh: WARNING: $name (pid $pid) did not stop after SIGTERM in 15 s; sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  local st=0
  wait "$pid" 2>/dev/null || st=$?
  # 0 = clean stop; 143 = died of the SIGTERM itself; 127 = already reaped. Anything else is a crash.
  if [[ $st -ne 0 && $st -ne 143 && $st -ne 127 ]]; then
    echo "run.sh: WARNING: $name exited with status $st after SIGTERM" >&2
  fi
}

print_logs() {
  local f
  while IFS= read -r f; do
    echo "----- tail -n 60 ${f#"$TMP"/} -----"
    tail -n 60 "$f" || true
  done < <(find "$TMP" -name '*.log' -type f 2>/dev/null | sort)
  echo "-----"
}

cleanup() {
  local rc=$?
  [[ $RC -eq 1 && $rc -ne 0 ]] && RC=$rc
  trap - EXIT INT TERM
  stop_pid "$BROKER_PID" mqbroker
  stop_pid "$NS_PID" mqnamesrv
  if [[ $RC -ne 0 ]]; then print_logs; fi
  if [[ "${KEEP_TMP:-0}" == 1 ]]; then
    echo "run.sh: kept $TMP"
  else
    rm -rf "$TMP"
  fi
  exit "$RC"
}
trap cleanup EXIT
trap 'RC=130; exit 130' INT
trap 'RC=143; exit 143' TERM

# --- ports: namesrv P1; broker P2 with P2-2 (VIP channel) and P2+1 (HA) free as well -----------
read -r P1 P2 < <(node -e '
const net = require("net");
const free = p => new Promise(r => { const s = net.createServer(); s.once("error", () => r(false));
  s.listen(p, "0.0.0.0", () => s.close(() => r(true))); });
(async () => {
  const pick = async offsets => { for (let i = 0; i < 200; i++) {
    const p = 20000 + Math.floor(Math.random() * 40000);
    let ok = true; for (const o of offsets) if (!(await free(p + o))) { ok = false; break; }
    if (ok) return p; } throw new Error("no free port"); };
  const p1 = await pick([0]); let p2; do { p2 = await pick([-2, 0, 1]); } while (Math.abs(p2 - p1) < 4);
  console.log(p1, p2);
})().catch(e => { console.error(e.message); process.exit(1); });')
[[ -n "${P1:-}" && -n "${P2:-}" ]] || { echo "run.sh: could not pick free ports" >&2; exit 2; }

wait_port() { # port pid name
  local port="$1" pid="$2" name="$3" i
  for ((i = 0; i < 200; i++)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "run.sh: $name exited before listening on $port" >&2
      return 1
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "run.sh: $name not listening on $port after 20 s" >&2
  return 1
}

# --- servers (HOME points into TMP so nothing lands in the real home directory) --------------
mkdir -p "$TMP/home" "$TMP/store"
HOME="$TMP/home" "$NAMESRV_BIN" "listenPort=$P1" "kvConfigPath=$TMP/kv.json" >"$TMP/namesrv.log" 2>&1 &
NS_PID=$!
wait_port "$P1" "$NS_PID" mqnamesrv
HOME="$TMP/home" "${BROKER_CMD[@]}" -n "127.0.0.1:$P1" "storePathRootDir=$TMP/store" "listenPort=$P2" \
  brokerIP1=127.0.0.1 brokerName=broker-a >"$TMP/broker.log" 2>&1 &
BROKER_PID=$!
wait_port "$P2" "$BROKER_PID" mqbroker
echo "run.sh: mqnamesrv pid $NS_PID on $P1, mqbroker pid $BROKER_PID on $P2, tmp $TMP"

# --- ali-ons (npm ci when node_modules is missing or was installed from another lock file) ----
LOCK_HASH="$(sha256sum "$HERE/package-lock.json" | cut -d' ' -f1)"
install_into() { # dir
  local dir="$1"
  if [[ -f "$dir/node_modules/.interop-lock-hash" && "$(cat "$dir/node_modules/.interop-lock-hash")" == "$LOCK_HASH" \
        && -f "$dir/node_modules/ali-ons/package.json" ]]; then
    return 0
  fi
  echo "run.sh: npm ci in $dir"
  if [[ "$dir" != "$HERE" ]]; then
    mkdir -p "$dir"
    cp "$HERE/package.json" "$HERE/package-lock.json" "$dir/"
  fi
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >"$TMP/npm.log" 2>&1) || {
    echo "run.sh: npm ci failed:" >&2
    cat "$TMP/npm.log" >&2
    return 1
  }
  echo "$LOCK_HASH" >"$dir/node_modules/.interop-lock-hash"
}
# npm needs a writable cache; users without a writable HOME (e.g. nobody) get one in TMP
if [[ -z "${npm_config_cache:-}" ]] && ! { mkdir -p "${HOME:-/nonexistent}/.npm" && [[ -w "$HOME/.npm" ]]; } 2>/dev/null; then
  export npm_config_cache="$TMP/npm-cache"
fi
RUN_DIR="$HERE"
if [[ -w "$HERE" ]]; then
  install_into "$HERE"
else
  # read-only checkout: install into a per-user cache keyed by the lock file
  CACHE_BASE="${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}"
  if ! { mkdir -p "$CACHE_BASE" && [[ -w "$CACHE_BASE" ]]; } 2>/dev/null; then
    CACHE_BASE="${TMPDIR:-/tmp}/mq-interop-cache-$(id -u)"
  fi
  CACHE="${ALI_ONS_CACHE:-$CACHE_BASE/mq-interop-ali-ons/$LOCK_HASH}"
  install_into "$CACHE"
  cp "$HERE/interop.js" "$CACHE/interop.js" # so that require('ali-ons') resolves to the cache
  RUN_DIR="$CACHE"
fi

# --- the test ---------------------------------------------------------------------------------
set +e
NAMESRV_ADDR="127.0.0.1:$P1" BROKER_ADDR="127.0.0.1:$P2" ALI_ONS_LOG="$TMP/ali-ons.log" \
  node "$RUN_DIR/interop.js"
RC=$?
set -e
if ! kill -0 "$BROKER_PID" 2>/dev/null; then
  echo "run.sh: mqbroker is no longer running" >&2
  [[ $RC -eq 0 ]] && RC=1
fi
if ! kill -0 "$NS_PID" 2>/dev/null; then
  echo "run.sh: mqnamesrv is no longer running" >&2
  [[ $RC -eq 0 ]] && RC=1
fi
exit "$RC"
