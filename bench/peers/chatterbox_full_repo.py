"""Writes a full-size Chatterbox English repository with random weights in the official layout, for
bench/chatterbox_cpu.sh: ve.safetensors, t3_cfg.safetensors, s3gen.safetensors, tokenizer.json,
conds.pt, plus voice.wav (the reference clip the bench clones: 10 s, 24 kHz, 16-bit, speech-like).

Every sub-model is the reference's own class at its default (official) size -- VoiceEncoder(),
T3() (Llama_520M), S3Gen() (S3 tokenizer v2, CAMPPlus, the flow, HiFT) -- with random weights:
matrices ~ N(0, 1/fan_in), norm weights ~ 1, small biases (tools/parity's tiny constructions at
full size). So that the bench's figures mean something:
- T3's speech head is scaled by 4 (logits std ~4) and its rows >= 6561 (the 1633 ids S3Gen
  cannot use, the stop token 6562 among them) are zero: their logit 0 is always far below
  min_p's threshold, so T3 draws exactly max_new_tokens valid tokens on both sides;
- HiFT keeps the tiny fixture's settings (weight-norm gains in [0.5, 1), log-magnitudes shifted
  down by 3, an F0 head around 150 Hz) so that its waveform is voiced and mostly unclipped.
conds.pt is the reference's prepare_conditionals on voice.wav, saved with Conditionals.save.

    python bench/peers/chatterbox_full_repo.py OUT_DIR   (torchaudio virtualenv, ~4 GB of RAM)
"""
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import soundfile
import torch
from safetensors.torch import load_file, save_file

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools" / "parity"))
import chatterbox_reference  # noqa: E402  (must precede chatterbox imports)

chatterbox_reference.stub_watermarker()
from chatterbox_flow import randomize as randomize_flow  # noqa: E402  (stubs conformer, omegaconf)
from chatterbox.models.s3gen import const as s3gen_const, s3gen as s3gen_module  # noqa: E402

sys.modules["chatterbox.models.s3gen"].S3Gen = s3gen_module.S3Token2Wav
sys.modules["chatterbox.models.s3gen"].S3GEN_SR = s3gen_const.S3GEN_SR
from chatterbox.models.t3.t3 import T3  # noqa: E402
from chatterbox.models.tokenizers import EnTokenizer  # noqa: E402
from chatterbox.models.voice_encoder import VoiceEncoder  # noqa: E402
from chatterbox.tts import ChatterboxTTS  # noqa: E402

SPEECH_VALID = 6561
VOICE_SECONDS = 10.0


def fan_in_normal(p, gain=1.0):
    return torch.randn_like(p) * (gain / p[0].numel()) ** 0.5


def random_ve():
    ve = VoiceEncoder().eval()
    with torch.no_grad():
        for _, p in ve.named_parameters():
            p.copy_(fan_in_normal(p) if p.dim() > 1 else 0.02 * torch.randn_like(p))
    return ve


def random_t3():
    t3 = T3().eval()  # T3Config.english_only(): Llama_520M, 704 text ids, 8194 speech ids
    with torch.no_grad():
        for name, p in t3.named_parameters():
            if "norm" in name:
                p.copy_(1.0 + 0.1 * torch.randn_like(p) if name.endswith("weight") else 0.02 * torch.randn_like(p))
            elif p.dim() > 1:
                p.copy_(fan_in_normal(p))
            else:
                p.copy_(0.02 * torch.randn_like(p))
        head = t3.speech_head.weight  # [8194, 1024], no bias
        head.mul_(4.0)
        head[SPEECH_VALID:] = 0.0
        assert t3.speech_head.bias is None
    return t3


def randomize_tokenizer(tok):
    with torch.no_grad():
        for name, p in tok.named_parameters():
            p.copy_(1.0 + 0.1 * torch.randn_like(p) if "ln" in name and name.endswith("weight")
                    else fan_in_normal(p, 0.25) if p.dim() > 1 else 0.05 * torch.randn_like(p))


def randomize_hift(hift):
    with torch.no_grad():
        for name, p in hift.named_parameters():
            if "alpha" in name:  # Snake
                p.copy_(0.5 + torch.rand_like(p))
            elif name.endswith("parametrizations.weight.original0"):  # weight-norm gains
                p.copy_(0.5 + 0.5 * torch.rand_like(p))
            elif p.dim() > 1:
                p.copy_(fan_in_normal(p))
            else:
                p.copy_(0.05 * torch.randn_like(p))
        hift.conv_post.parametrizations.weight.original0.mul_(4.0)
        n_mag = hift.istft_params["n_fft"] // 2 + 1
        hift.conv_post.bias[:n_mag] -= 3.0
        classifier = hift.f0_predictor.classifier
        classifier.weight.copy_(torch.randn_like(classifier.weight) * 20.0 / classifier.in_features ** 0.5)
        classifier.bias.fill_(150.0)


def random_s3gen():
    s3gen = s3gen_module.S3Token2Wav().eval()
    randomize_tokenizer(s3gen.tokenizer)
    chatterbox_reference.randomize_campplus(s3gen.speaker_encoder)
    randomize_flow(s3gen.flow)
    randomize_hift(s3gen.mel2wav)
    return s3gen


def speech_like_clip(seconds, f0, rate, seed, sr=24000):
    """Harmonics of a wobbling f0 under a syllable envelope, breath noise, near-silence at the ends."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(sr * (seconds - 0.6))) / sr
    phase = 2 * np.pi * np.cumsum(f0 * (1 + 0.15 * np.sin(2 * np.pi * 1.7 * t) + 0.05 * np.sin(2 * np.pi * 0.3 * t))) / sr
    voiced = sum(np.sin(k * phase + k) / k for k in range(1, 12))
    syllables = np.clip(np.sin(2 * np.pi * rate * t), 0, None) ** 0.7
    envelope = np.sin(np.pi * t / t[-1]) ** 0.3 * (0.15 + 0.85 * syllables)
    voice = 0.2 * envelope * voiced + 0.015 * (0.3 + envelope) * rng.standard_normal(t.shape)
    silence = lambda: 0.0005 * rng.standard_normal(int(sr * 0.3))  # noqa: E731
    return np.concatenate([silence(), voice, silence()]).astype(np.float32)


def main():
    out = Path(sys.argv[1])
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    torch.set_num_threads(os.cpu_count() or 1)
    torch.manual_seed(2024)
    t0 = time.perf_counter()

    ve = random_ve()
    save_file({k: v.contiguous() for k, v in ve.state_dict().items()}, str(tmp / "ve.safetensors"))
    t3 = random_t3()
    save_file({k: v.contiguous() for k, v in t3.state_dict().items()}, str(tmp / "t3_cfg.safetensors"))
    s3gen = random_s3gen()
    # trim_fade is non-persistent; the tokenizer's _mel_filters and window are persistent buffers.
    save_file({k: v.contiguous() for k, v in s3gen.state_dict().items() if not k.endswith("num_batches_tracked")},
              str(tmp / "s3gen.safetensors"))
    shutil.copyfile(REPO / "tests/fixtures/tokenizers/english.json", tmp / "tokenizer.json")
    print(f"weights written in {time.perf_counter() - t0:.0f} s: VE {sum(p.numel() for p in ve.parameters()) / 1e6:.1f}M,"
          f" T3 {sum(p.numel() for p in t3.parameters()) / 1e6:.1f}M,"
          f" S3Gen {sum(p.numel() for p in s3gen.parameters()) / 1e6:.1f}M parameters", flush=True)

    # Back through the loaders (as ChatterboxTTS.from_local: strict for VE and T3, not for S3Gen).
    ve.load_state_dict(load_file(tmp / "ve.safetensors"))
    t3.load_state_dict(load_file(tmp / "t3_cfg.safetensors"))
    missing, unexpected = s3gen.load_state_dict(load_file(tmp / "s3gen.safetensors"), strict=False)
    assert not unexpected and all(k.endswith("num_batches_tracked") for k in missing), (missing, unexpected)
    model = ChatterboxTTS(t3, s3gen, ve, EnTokenizer(str(tmp / "tokenizer.json")), device="cpu")

    soundfile.write(tmp / "voice.wav", speech_like_clip(VOICE_SECONDS, 140.0, 3.5, seed=5), 24000, subtype="PCM_16")
    with torch.inference_mode():
        model.prepare_conditionals(str(tmp / "voice.wav"), exaggeration=0.5)
    model.conds.save(tmp / "conds.pt")
    gen = model.conds.gen
    print("conds: T3 prompt tokens", tuple(model.conds.t3.cond_prompt_speech_tokens.shape),
          "S3Gen prompt tokens", tuple(gen["prompt_token"].shape), "prompt mel", tuple(gen["prompt_feat"].shape),
          "x-vector", tuple(gen["embedding"].shape), flush=True)

    # HiFT on the clip's own mel: the waveform must be finite, voiced and mostly unclipped.
    with torch.inference_mode():
        wav, _ = s3gen.hift_inference(gen["prompt_feat"].transpose(1, 2)[:, :, :200])
    clipped = (wav.abs() >= 0.985).float().mean().item()
    print(f"HiFT check: {wav.numel()} samples, std {wav.std():.3f}, absmax {wav.abs().max():.3f}, "
          f"clipped {100 * clipped:.1f}%")
    assert torch.isfinite(wav).all() and wav.std() > 1e-3 and clipped < 0.2

    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    print({p.name: p.stat().st_size for p in sorted(out.iterdir())})


if __name__ == "__main__":
    main()
