#!/usr/bin/env bash
# Installs what is missing, builds, and starts the main job. The goal is the
# whole shop (private PostgreSQL, name server, broker, five services); what
# exists today is listed in docs/status.md. This script starts every server
# component that has been built so far and says plainly what is not there yet.
#
#   deploy/up.sh            # build and start under ./run/
#   deploy/up.sh --no-build # start what is already built
set -euo pipefail
source "$(dirname "$0")/lib.sh"

RUN_DIR="${RUN_DIR:-$ROOT/run}"
if [ "${1:-}" != "--no-build" ]; then
  bash "$ROOT/deploy/install-deps.sh"
  build "$ROOT/build"
fi
mkdir -p "$RUN_DIR/logs"

started=0
for bin in mqnamesrv mqbroker; do
  if [ -x "$ROOT/build/mq/apps/$bin" ]; then
    started=$((started + 1))
  fi
done

if [ "$started" -eq 0 ]; then
  cat <<MSG
up.sh: the build succeeded (libraries mq::common and mq::remoting, their tests
and benchmarks), but no server process exists yet: the name server and broker
(mqnamesrv, mqbroker) and the shop services are still to be written.
See docs/status.md for what works today. Nothing was started.
MSG
  exit 1
fi
