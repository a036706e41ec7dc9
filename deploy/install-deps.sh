#!/usr/bin/env bash
# Installs the Debian 12 packages this project needs to build, test and run.
# Idempotent: installs only what is missing, runs `apt-get update` only then.
# Works as root or as a normal user with sudo.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git wrk
  clang libclang-rt-14-dev            # libFuzzer targets and sanitizer runtimes
  libboost1.81-dev                    # Asio, Beast, Outcome
  libpqxx-dev libpq-dev
  nlohmann-json3-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  zlib1g-dev
  postgresql postgresql-client
  curl procps iproute2 psmisc
  fio                                 # disk figures next to the store benchmarks
  chromium                            # the mqconsole browser test (playwright-core drives it)
)

# Node.js + npm for the interop test with the ali-ons client and the
# mqconsole browser test (playwright-core wants node >= 18; one already on
# the PATH will do).
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || PACKAGES+=(nodejs npm)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-deps: missing packages (${missing[*]}) and not root, no sudo" >&2; exit 1
  fi
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done"
