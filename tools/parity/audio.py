"""Writes tests/fixtures/audio/: a stereo 44.1 kHz WAV and a mono 24 kHz FLAC of known content,
and librosa's decoding of them (mono mix) and soxr_hq resampling to 24 kHz and 16 kHz.

    python tools/parity/audio.py OUT_DIR
"""
import sys
from pathlib import Path

import librosa
import numpy as np
import soundfile as sf
import torch
from safetensors.torch import save_file

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(11)
t = np.arange(int(44100 * 0.6)) / 44100
left = 0.3 * np.sin(2 * np.pi * 330 * t) + 0.02 * rng.standard_normal(t.shape)
right = 0.3 * np.sin(2 * np.pi * 550 * t)
sf.write(out / "stereo_44k.wav", np.stack([left, right], 1).astype(np.float32), 44100, subtype="PCM_16")
t24 = np.arange(int(24000 * 0.5)) / 24000
sf.write(out / "mono_24k.flac", (0.4 * np.sin(2 * np.pi * 200 * t24)).astype(np.float32), 24000, subtype="PCM_16")

r = {}
y, _ = librosa.load(out / "stereo_44k.wav", sr=None, mono=True)
r["stereo_mono"] = torch.from_numpy(y)
y24, _ = librosa.load(out / "stereo_44k.wav", sr=24000)  # soxr_hq, as chatterbox loads clips
r["stereo_24k"] = torch.from_numpy(y24)
r["stereo_16k"] = torch.from_numpy(librosa.resample(y24, orig_sr=24000, target_sr=16000))
f, _ = librosa.load(out / "mono_24k.flac", sr=None)
r["flac_mono"] = torch.from_numpy(f)
save_file({k: v.contiguous().float() for k, v in r.items()}, str(out / "reference.safetensors"))
print("wrote", out)
