"""Peer of bench/chatterbox_cpu: chatterbox-tts's ChatterboxTTS on CPU, fp32, 2 threads, over the
repository bench/peers/chatterbox_full_repo.py writes. The stages of ChatterboxTTS.generate, each
timed: conditioning (prepare_conditionals on the reference clip, librosa load and resample
included), T3 (punc_norm, text tokens, t3.inference for exactly MAX_NEW_TOKENS tokens, the
invalid-token filters), S3Gen flow (flow_inference, finalize=True, 10 CFM steps), HiFT
(hift_inference and the trim fade). torch.manual_seed(0) before T3, as generate's caller would
seed. One warm-up run, then RUNS runs; prints one JSON line with the median of each stage, the
median of the per-run totals, and peak RSS.

    python bench/peers/chatterbox_cpu.py REPO_DIR RUNS MAX_NEW_TOKENS TEXT
"""
import json
import os
import resource
import statistics
import sys
import time
import types
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools" / "parity"))
import chatterbox_reference  # noqa: E402  (must precede chatterbox imports)

chatterbox_reference.stub_watermarker()  # the bench leaves the watermark out on both sides
sys.modules.setdefault("conformer", types.SimpleNamespace(ConformerBlock=torch.nn.Module))
sys.modules.setdefault("omegaconf", types.SimpleNamespace(DictConfig=dict))
from chatterbox.models.s3gen import const as s3gen_const, s3gen as s3gen_module  # noqa: E402

sys.modules["chatterbox.models.s3gen"].S3Gen = s3gen_module.S3Token2Wav
sys.modules["chatterbox.models.s3gen"].S3GEN_SR = s3gen_const.S3GEN_SR
from chatterbox.models.s3tokenizer import drop_invalid_tokens  # noqa: E402
from chatterbox.models.t3 import t3 as t3_module  # noqa: E402
from chatterbox.tts import ChatterboxTTS, punc_norm  # noqa: E402
import torch.nn.functional as F  # noqa: E402

t3_module.tqdm = lambda it, **_: it  # the per-token progress bar


def ms_since(t0):
    return (time.perf_counter() - t0) * 1000.0


def synthesize(model, voice, text, max_new_tokens):
    times = {}
    t0 = time.perf_counter()
    model.prepare_conditionals(voice, exaggeration=0.5)
    times["conditioning"] = ms_since(t0)

    torch.manual_seed(0)
    with torch.inference_mode():
        t0 = time.perf_counter()
        text_tokens = model.tokenizer.text_to_tokens(punc_norm(text))
        text_tokens = torch.cat([text_tokens, text_tokens], dim=0)  # the CFG pair
        text_tokens = F.pad(text_tokens, (1, 0), value=model.t3.hp.start_text_token)
        text_tokens = F.pad(text_tokens, (0, 1), value=model.t3.hp.stop_text_token)
        raw = model.t3.inference(t3_cond=model.conds.t3, text_tokens=text_tokens, max_new_tokens=max_new_tokens,
                                 temperature=0.8, cfg_weight=0.5, repetition_penalty=1.2, min_p=0.05, top_p=1.0)
        speech_tokens = drop_invalid_tokens(raw[0])
        speech_tokens = speech_tokens[speech_tokens < 6561]
        times["t3"] = ms_since(t0)

        t0 = time.perf_counter()
        mel = model.s3gen.flow_inference(speech_tokens, ref_dict=model.conds.gen, finalize=True)
        times["flow"] = ms_since(t0)

        t0 = time.perf_counter()
        wav, _ = model.s3gen.hift_inference(mel, None)
        wav[:, :len(model.s3gen.trim_fade)] *= model.s3gen.trim_fade
        times["hift"] = ms_since(t0)
    times["total"] = sum(times.values())
    return times, raw.shape[1], int(speech_tokens.numel()), wav.reshape(-1)


def main():
    folder, runs, max_new_tokens, text = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    torch.set_num_threads(2)
    start = t0 = time.perf_counter()
    model = ChatterboxTTS.from_local(folder, "cpu")
    load_ms = ms_since(t0)
    rss_after_load = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    voice = str(folder / "voice.wav")

    synthesize(model, voice, text, max_new_tokens)  # warm-up
    samples = [synthesize(model, voice, text, max_new_tokens) for _ in range(runs)]
    _, raw_tokens, valid_tokens, wav = samples[-1]
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result = {stage: statistics.median(s[0][stage] for s in samples)
              for stage in ("conditioning", "t3", "flow", "hift", "total")}
    result.update(
        load_ms=load_ms, runs=runs, threads=torch.get_num_threads(), t3_tokens=raw_tokens, speech_tokens=valid_tokens,
        audio_seconds=wav.numel() / 24000.0, wav_finite=bool(torch.isfinite(wav).all()),
        wav_std=float(wav.std()), wav_absmax=float(wav.abs().max()),
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, load_peak_rss_mb=rss_after_load,
        cpu_s=usage.ru_utime + usage.ru_stime, wall_s=time.perf_counter() - start,
        torch=torch.__version__)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
