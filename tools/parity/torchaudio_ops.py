"""Writes tests/fixtures/torchaudio/reference.safetensors: torchaudio's Kaldi fbank (CAMPPlus
features) and its sinc resampler (torchaudio.transforms.Resample, as S3Gen uses for 24k -> 16k).
torchaudio must match its torch build, so this runs in its own virtualenv:

    python3 -m venv ~/.cache/warmtts-ta && ~/.cache/warmtts-ta/bin/pip install torch==2.11.0 torchaudio==2.11.0 numpy safetensors
    ~/.cache/warmtts-ta/bin/python tools/parity/torchaudio_ops.py OUT_DIR
"""
import sys
from pathlib import Path

import numpy as np
import torch
import torchaudio
from safetensors.torch import save_file

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(21)
t16 = np.arange(int(16000 * 1.2)) / 16000
wav16 = torch.from_numpy((0.3 * np.sin(2 * np.pi * (200 + 400 * t16) * t16) + 0.03 * rng.standard_normal(t16.shape)).astype(np.float32))
t24 = np.arange(int(24000 * 0.9) + 7) / 24000
wav24 = torch.from_numpy((0.4 * np.sin(2 * np.pi * 300 * t24) + 0.05 * rng.standard_normal(t24.shape)).astype(np.float32))
r = {"wav16": wav16, "wav24": wav24}
r["fbank80"] = torchaudio.compliance.kaldi.fbank(wav16[None], num_mel_bins=80)
r["resample_24k_16k"] = torchaudio.transforms.Resample(24000, 16000)(wav24[None])[0]
r["resample_44k_24k"] = torchaudio.functional.resample(wav24[None], 44100, 24000)[0]
save_file({k: v.contiguous() for k, v in r.items()}, str(out / "reference.safetensors"))
print("wrote", out)
