"""Writes tests/fixtures/dsp/reference.safetensors: librosa mel filterbanks (Slaney and HTK),
the Chatterbox VoiceEncoder power mel (librosa.stft + filters), the S3 tokenizer's Whisper-style
log-mel and the S3Gen prompt log-mel (torch ops as specs/chatterbox.md §4.1, §4.2, §4.4 give
them), and an STFT/iSTFT round trip, on a chirp with noise.

    python tools/parity/dsp.py OUT_DIR
"""
import sys
from pathlib import Path

import librosa
import numpy as np
import torch
from safetensors.torch import save_file

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(3)


def signal(sr, seconds):
    t = np.arange(int(sr * seconds)) / sr
    chirp = 0.4 * np.sin(2 * np.pi * (100 + 900 * t) * t)
    return (chirp + 0.05 * rng.standard_normal(t.shape)).astype(np.float32)


wav16, wav24 = signal(16000, 1.3), signal(24000, 1.1)
r = {"wav16": torch.from_numpy(wav16), "wav24": torch.from_numpy(wav24)}

# Filterbanks
r["mel_slaney_16k_400_40"] = torch.from_numpy(librosa.filters.mel(sr=16000, n_fft=400, n_mels=40, fmin=0, fmax=8000))
r["mel_slaney_16k_400_128"] = torch.from_numpy(librosa.filters.mel(sr=16000, n_fft=400, n_mels=128, fmin=0, fmax=8000))
r["mel_slaney_24k_1920_80"] = torch.from_numpy(librosa.filters.mel(sr=24000, n_fft=1920, n_mels=80, fmin=0, fmax=8000))
r["mel_htk_22k_1024_64"] = torch.from_numpy(librosa.filters.mel(sr=22050, n_fft=1024, n_mels=64, fmin=20, fmax=11025, htk=True, norm=None))

# VoiceEncoder power mel (melspec.py): librosa.stft(center, reflect, hann) -> |X|^2 -> mel
spec = librosa.stft(wav16, n_fft=400, hop_length=160, win_length=400, center=True, pad_mode="reflect")
r["ve_power_mel"] = torch.from_numpy(np.dot(r["mel_slaney_16k_400_40"].numpy(), np.abs(spec) ** 2).astype(np.float32))

# S3 tokenizer log-mel (Whisper style)
x = torch.from_numpy(wav16)
s = torch.stft(x, 400, 160, window=torch.hann_window(400), return_complex=True)
mag = s[..., :-1].abs() ** 2
log_spec = torch.clamp(r["mel_slaney_16k_400_128"] @ mag, min=1e-10).log10()
log_spec = torch.maximum(log_spec, log_spec.max() - 8.0)
r["whisper_log_mel"] = (log_spec + 4.0) / 4.0

# S3Gen prompt mel (Matcha / CosyVoice mel_spectrogram)
y = torch.nn.functional.pad(torch.from_numpy(wav24)[None, None], (720, 720), mode="reflect")[0, 0]
s = torch.view_as_real(torch.stft(y, 1920, 480, 1920, window=torch.hann_window(1920), center=False, return_complex=True))
mag = torch.sqrt(s.pow(2).sum(-1) + 1e-9)
r["matcha_log_mel"] = torch.log(torch.clamp(r["mel_slaney_24k_1920_80"] @ mag, min=1e-5))

# STFT / iSTFT (HiFT sizes: n_fft 16, hop 4)
s = torch.stft(torch.from_numpy(wav24[:2400]), 16, 4, 16, window=torch.hann_window(16), center=True, return_complex=True)
r["stft16_real"], r["stft16_imag"] = s.real.contiguous(), s.imag.contiguous()
r["istft16"] = torch.istft(s, 16, 4, 16, window=torch.hann_window(16), center=True)

save_file({k: v.contiguous().float() for k, v in r.items()}, str(out / "reference.safetensors"))
print("wrote", out)
