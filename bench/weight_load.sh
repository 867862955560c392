#!/usr/bin/env bash
# Runs bench/weight_load with the Python peer (torch + safetensors from PyPI, installed into a
# virtualenv outside the repository: WARMTTS_PY_VENV, default ~/.cache/warmtts-py).
#   bench/weight_load.sh [--gib N] [--runs N]
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${WARMTTS_PY_VENV:-$HOME/.cache/warmtts-py}"
if ! "$venv/bin/python" -c "import torch, safetensors" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q torch safetensors numpy
fi
./scripts/build.sh >/dev/null
exec ./build/release/bench/weight_load --python "$venv/bin/python" "$@"
