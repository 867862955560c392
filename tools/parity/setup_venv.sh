#!/usr/bin/env bash
# Creates the parity virtualenv outside the repository (WARMTTS_PARITY_VENV, default
# ~/.cache/warmtts-py) with the pinned reference packages, and prints its python.
set -euo pipefail
venv="${WARMTTS_PARITY_VENV:-$HOME/.cache/warmtts-py}"
here="$(cd "$(dirname "$0")" && pwd)"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q -r "$here/requirements.txt" >&2
# Chatterbox's own modules, without its dependency pins (they clash with the ones above).
"$venv/bin/pip" install -q --no-deps chatterbox-tts==0.1.7 >&2
echo "$venv/bin/python"
