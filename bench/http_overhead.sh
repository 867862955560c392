#!/usr/bin/env bash
# Runs bench/http_overhead: warmtts (tone test engine, no synthesis work) against RunPod's Python
# local API server, both on loopback, in the same run. The Python peer is installed from PyPI
# into a virtualenv outside the repository (WARMTTS_BENCH_VENV, default ~/.cache).
#   bench/http_overhead.sh [--seconds N]
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${WARMTTS_BENCH_VENV:-$HOME/.cache/warmtts-bench-venv}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import runpod" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q runpod
fi
./scripts/build.sh >/dev/null
exec ./build/release/bench/http_overhead --peer-python "$venv/bin/python" \
  --peer-script bench/peers/runpod_local_api.py "$@"
