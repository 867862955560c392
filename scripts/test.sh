#!/usr/bin/env bash
# Sets up (packages, build) and runs every test suite with CTest (labels: unit, integration).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh
ctest --preset release "$@"
