#!/usr/bin/env bash
# Chatterbox English synthesis on CPU (fp32, 2 threads): bench/chatterbox_cpu against chatterbox-tts
# 0.1.7 (bench/peers/chatterbox_cpu.py) in the same run, one after the other, over the same
# full-size random-weight repository in the official layout (bench/peers/chatterbox_full_repo.py,
# generated once into WARMTTS_BENCH_CACHE, default ~/.cache/warmtts-bench, ~3.2 GB; regenerated
# when the generator changes). The reference runs in the torchaudio virtualenv of tools/parity
# (WARMTTS_TA_VENV, default ~/.cache/warmtts-ta; created here if missing). Each side: load, one
# warm-up synthesis, then N timed ones (median per stage); the same 10 s reference clip, text and
# exactly --tokens speech tokens. Prints figures and ratios; asserts nothing about them.
#   bench/chatterbox_cpu.sh [--runs N] [--tokens N]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=2 tokens=100
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --tokens) tokens="$2"; shift 2 ;;
    *) echo "usage: bench/chatterbox_cpu.sh [--runs N] [--tokens N]" >&2; exit 2 ;;
  esac
done
text="The quick brown fox jumps over the lazy dog, and then it runs far away."
lock=/tmp/warmtts-build.lock  # builds and heavy runs take turns on the 2 cores

venv="${WARMTTS_TA_VENV:-$HOME/.cache/warmtts-ta}"
py="$venv/bin/python"
# (chatterbox's package __init__ imports the Perth watermarker, which is not installed: find it only)
if ! "$py" -c "import torchaudio, librosa, s3tokenizer, diffusers, transformers, importlib.util as u
assert u.find_spec('chatterbox')" 2>/dev/null; then
  echo "setting up the reference's virtualenv in $venv" >&2
  [ -x "$py" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install -q torch==2.11.0 torchaudio==2.11.0 numpy safetensors soundfile >&2
  "$venv/bin/pip" install -q --no-deps chatterbox-tts==0.1.7 s3tokenizer==0.3.0 >&2
  "$venv/bin/pip" install -q onnx einops librosa==0.11.0 tqdm transformers==4.46.3 tokenizers==0.20.3 \
    diffusers==0.29.0 >&2
fi

flock "$lock" cmake --preset release >/dev/null
flock "$lock" cmake --build --preset release --target chatterbox_cpu >/dev/null
bin=./build/release/bench/chatterbox_cpu

folder="${WARMTTS_BENCH_CACHE:-$HOME/.cache/warmtts-bench}/chatterbox-full"
stamp="$(sha256sum bench/peers/chatterbox_full_repo.py | cut -c1-16)"
if [ "$(cat "$folder/.generator" 2>/dev/null)" != "$stamp" ]; then
  echo "generating the full-size random Chatterbox repository in $folder (about a minute)" >&2
  flock "$lock" "$py" -W ignore bench/peers/chatterbox_full_repo.py "$folder" >&2
  echo "$stamp" > "$folder/.generator"
fi

log="$(mktemp -d)"
trap 'rm -rf "$log"' EXIT
# CPU time of the whole machine (/proc/stat, s) and the wall clock, around each side: what other
# processes took meanwhile is printed with the figures (both sides assume 2 idle cores).
machine() { awk -v hz="$(getconf CLK_TCK)" '/^cpu /{print ($2+$3+$4+$7+$8+$9)/hz; exit}' /proc/stat; date +%s.%N; }
export -f machine
side() {  # NAME COMMAND...: runs under the lock, JSON to $log/NAME.json, machine usage to $log/NAME.machine
  local name="$1"; shift
  echo "$name (runs $runs + 1 warm-up) ..." >&2
  if ! flock "$lock" bash -c 'machine; exec "$@"' _ "$@" >"$log/$name.out" 2>"$log/$name.err"; then
    cat "$log/$name.err" >&2; exit 1
  fi
  head -2 "$log/$name.out" >"$log/$name.machine"
  machine >>"$log/$name.machine"
  tail -n +3 "$log/$name.out" | tail -1 >"$log/$name.json"
}
side reference "$py" -W ignore bench/peers/chatterbox_cpu.py "$folder" "$runs" "$tokens" "$text"
side ours "$bin" --folder "$folder" --runs "$runs" --tokens "$tokens" --text "$text"

"$py" - "$log" <<'EOF'
import json, sys
log = sys.argv[1]
ours, ref = (json.loads(open(f"{log}/{n}.json").read()) for n in ("ours", "reference"))
for n, r in (("ours", ours), ("reference", ref)):  # other processes' CPU while this side ran
    busy0, t0, busy1, t1 = (float(x) for x in open(f"{log}/{n}.machine").read().split())
    r["foreign_cores"] = max(0.0, (busy1 - busy0) - r["cpu_s"]) / (t1 - t0)
print(f"chatterbox_cpu: full-size random weights, fp32, CPU, {ours['threads']} threads (reference "
      f"{ref['threads']}), 10 s reference clip, {ours['t3_tokens']} T3 tokens; median of {ours['runs']} runs "
      f"after a warm-up\n")
print("| stage | warmtts ms | reference ms | speed-up (reference/ours) |")
print("|---|---:|---:|---:|")
rows = [("conditioning (clip -> conds)", "conditioning"), ("T3 (speech tokens)", "t3"),
        ("S3Gen flow (tokens -> mel)", "flow"), ("HiFT (mel -> wav)", "hift")]
for label, k in rows:
    print(f"| {label} | {ours[k]:.0f} | {ref[k]:.0f} | {ref[k] / ours[k]:.2f}x |")
synth = lambda r: r["t3"] + r["flow"] + r["hift"]  # noqa: E731
print(f"| synthesis (T3 + flow + HiFT) | {synth(ours):.0f} | {synth(ref):.0f} | {synth(ref) / synth(ours):.2f}x |")
print(f"| **end to end** (conditioning + synthesis) | **{ours['total']:.0f}** | **{ref['total']:.0f}** | "
      f"**{ref['total'] / ours['total']:.2f}x** (target >= 1.5x) |")
print(f"| load (not in end to end) | {ours['load_ms']:.0f} | {ref['load_ms']:.0f} | "
      f"{ref['load_ms'] / ours['load_ms']:.2f}x |\n")
print("| | warmtts | reference | ratio ours/reference |")
print("|---|---:|---:|---:|")
print(f"| T3 tokens drawn / valid | {ours['t3_tokens']} / {ours['speech_tokens']} | "
      f"{ref['t3_tokens']} / {ref['speech_tokens']} | |")
print(f"| audio seconds | {ours['audio_seconds']:.2f} | {ref['audio_seconds']:.2f} | |")
for label, f in (("RTF, synthesis", synth), ("RTF, end to end", lambda r: r["total"])):
    a, b = f(ours) / 1000 / ours["audio_seconds"], f(ref) / 1000 / ref["audio_seconds"]
    print(f"| {label} | {a:.2f} | {b:.2f} | {a / b:.2f} |")
print(f"| peak RSS MB (whole run) | {ours['peak_rss_mb']:.0f} | {ref['peak_rss_mb']:.0f} | "
      f"{ours['peak_rss_mb'] / ref['peak_rss_mb']:.2f} (target <= 1) |")
print(f"| peak RSS MB after load | {ours['load_peak_rss_mb']:.0f} | {ref['load_peak_rss_mb']:.0f} | "
      f"{ours['load_peak_rss_mb'] / ref['load_peak_rss_mb']:.2f} |")
print(f"| CPU taken by other processes meanwhile (cores) | {ours['foreign_cores']:.2f} | {ref['foreign_cores']:.2f} | |")
for side, r in (("warmtts", ours), ("reference", ref)):
    if r["foreign_cores"] > 0.1:
        print(f"WARNING: other processes used {r['foreign_cores']:.2f} cores while {side} ran; its figures are not comparable")
for side, r in (("warmtts", ours), ("reference", ref)):
    print(f"{side}: waveform {'finite' if r['wav_finite'] else 'NOT FINITE'}, std {r['wav_std']:.4f}, "
          f"absmax {r['wav_absmax']:.4f}")
EOF
