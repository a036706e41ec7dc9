#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (CTest labels unit,
# integration, interop, e2e). This is the README's test command and what CI runs.
#
#   deploy/test.sh                 # normal build in build/, all tests
#   deploy/test.sh --asan          # AddressSanitizer+UBSan build in build-asan/
#   deploy/test.sh --tsan          # ThreadSanitizer build in build-tsan/
#   deploy/test.sh -L unit         # extra args go to ctest
set -euo pipefail
source "$(dirname "$0")/lib.sh"

dir="$ROOT/build"; cmake_args=()
case "${1:-}" in
  --asan) dir="$ROOT/build-asan"; cmake_args=(-DMQ_SANITIZE=address,undefined -DMQ_BUILD_BENCH=OFF); shift ;;
  --tsan) dir="$ROOT/build-tsan"; cmake_args=(-DMQ_SANITIZE=thread -DMQ_BUILD_BENCH=OFF); shift ;;
esac

bash "$ROOT/deploy/install-deps.sh"
build "$dir" "${cmake_args[@]}"
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1 second_deadlock_stack=1}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1 halt_on_error=1}"
cd "$dir"
ctest --output-on-failure --no-tests=error -j 2 "$@"
