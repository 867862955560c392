#!/usr/bin/env bash
# Runs bench/llama_decode with transformers as the peer (pinned in tools/parity/requirements.txt,
# installed into a virtualenv outside the repository).
set -euo pipefail
cd "$(dirname "$0")/.."
py="$(tools/parity/setup_venv.sh)"
./scripts/build.sh >/dev/null
exec ./build/release/bench/llama_decode --python "$py" "$@"
