#!/usr/bin/env bash
# Sets up (packages, build) and runs the worker: `warmtts serve` on 127.0.0.1:8000 with the
# default configuration. Extra arguments go to `warmtts serve`, e.g. --port 9000.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh
exec ./build/release/orchestrator/warmtts serve "$@"
