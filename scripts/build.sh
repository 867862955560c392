#!/usr/bin/env bash
# Installs the Debian packages, configures with the CMake preset and builds (Release, Ninja).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release
