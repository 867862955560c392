#!/usr/bin/env bash
# Builds the safetensors header fuzz target with clang's libFuzzer and AddressSanitizer and runs
# it for a bounded time (default 20 s) from a seed corpus of valid and damaged headers.
#   tests/fuzz/run_safetensors_fuzz.sh [SECONDS] [BUILD_DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
seconds="${1:-20}"
out="${2:-$root/build/fuzz}"
mkdir -p "$out/corpus"
clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"$root" "$here/safetensors_header_fuzz.cpp" "$root/volume/safetensors_header.cpp" \
  -o "$out/safetensors_header_fuzz"
# Seeds: one valid file and a few near-misses.
seed() { printf "$1" > "$out/corpus/$2"; }
seed '\x36\x00\x00\x00\x00\x00\x00\x00{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}\x01\x02\x03\x04\x05\x06\x07\x08' valid
seed '\x02\x00\x00\x00\x00\x00\x00\x00{}' empty
seed '\xff\xff\xff\xff\xff\xff\xff\xff{' huge
"$out/safetensors_header_fuzz" -max_total_time="$seconds" -max_len=4096 -rss_limit_mb=2048 \
  -print_final_stats=1 "$out/corpus" 2>&1 | tail -n 12
