#!/usr/bin/env bash
# Installs every Debian package warmtts builds, runs and tests with. Idempotent: when all are
# present it only checks (no apt-get update), so repeated runs take about a second.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git ca-certificates
  libcaf-dev
  libboost1.81-dev libboost-test1.81-dev libboost-url1.81-dev
  libtorch-dev libopenblas0-pthread
  nlohmann-json3-dev prometheus-cpp-dev
  libsndfile1-dev libsoxr-dev libssl-dev
  libcli11-dev libspdlog-dev libpcre2-dev
  prometheus wrk curl python3 python3-venv
  clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
