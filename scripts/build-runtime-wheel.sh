#!/usr/bin/env bash
# Builds only the libtorch model runtime and its benchmarks (WARMTTS_RUNTIME_ONLY) against the
# libtorch inside a torch wheel: what a GPU machine with PyTorch but none of our Debian packages
# can build. nlohmann/json headers come from /usr/include, or from build/third_party (copy them
# there and carry that folder to such a machine).
#   scripts/build-runtime-wheel.sh [PYTHON] [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
py="${1:-python3}"
out="${2:-build/runtime-wheel}"
prefix="$("$py" -c 'import torch; print(torch.utils.cmake_prefix_path)')"
site="$("$py" -c 'import os, torch; print(os.path.dirname(os.path.dirname(torch.__file__)))')"
json=/usr/include
[ -f build/third_party/nlohmann/json.hpp ] && json="$PWD/build/third_party"
# libtorch_cuda's own dependencies (NCCL, cuDNN, ...) live in the nvidia/* wheels.
links=""
for d in "$site"/nvidia/*/lib; do [ -d "$d" ] && links="$links -Wl,-rpath-link,$d -Wl,-rpath,$d"; done
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
TORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-9.0}" cmake -S . -B "$out" "${generator[@]}" \
  -DCMAKE_BUILD_TYPE=Release -DWARMTTS_RUNTIME_ONLY=ON -DCMAKE_PREFIX_PATH="$prefix" \
  -DNLOHMANN_JSON_INCLUDE_DIR="$json" -DCMAKE_EXE_LINKER_FLAGS="$links" >/dev/null
cmake --build "$out" -j "$(nproc)"
echo "built: $out/bench/llama_decode $out/bench/weight_load"
