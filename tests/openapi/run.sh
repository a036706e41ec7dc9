#!/usr/bin/env bash
# Validates every docs/api/*.yaml against the official OpenAPI 3 JSON schema
# with the npm package pinned in package-lock.json (installed here on first run).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$here"
if [ ! -x node_modules/.bin/validate-api ]; then
  npm ci --no-audit --no-fund >/dev/null
fi
shopt -s nullglob
files=("$root"/docs/api/*.yaml)
[ ${#files[@]} -gt 0 ] || { echo "openapi: no documents in docs/api" >&2; exit 1; }
fail=0
for f in "${files[@]}"; do
  out="$(node_modules/.bin/validate-api "$f" 2>&1)" || true
  if echo "$out" | grep -q '"valid": *true'; then
    echo "openapi: $(basename "$f") valid"
  else
    echo "openapi: $(basename "$f") INVALID:"; echo "$out"; fail=1
  fi
done
exit $fail
