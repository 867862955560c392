"""Writes tests/fixtures/chatterbox_ve/: Chatterbox's VoiceEncoder with random weights in the
official layout (ve.safetensors) at a tiny width (hidden 64 instead of 256) and the reference's
intermediates for one 16 kHz clip with silence around it: trimmed audio, mel, partial
embeddings and the speaker embedding (VoiceEncoder.embeds_from_wavs, as prepare_conditionals
calls it).

    python tools/parity/chatterbox_ve.py OUT_DIR
"""
import sys
from pathlib import Path

import librosa
import numpy as np
import torch
from safetensors.torch import save_file

import chatterbox_reference  # noqa: F401,E402  (must precede chatterbox imports)
from chatterbox.models.voice_encoder import VoiceEncoder  # noqa: E402
from chatterbox.models.voice_encoder.config import VoiceEncConfig  # noqa: E402
from chatterbox.models.voice_encoder.melspec import melspectrogram  # noqa: E402


class TinyConfig(VoiceEncConfig):
    ve_hidden_size = 64
    speaker_embed_size = 64


out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
torch.manual_seed(17)
ve = VoiceEncoder(TinyConfig()).eval()
with torch.no_grad():
    for p in ve.parameters():
        p.copy_(torch.randn_like(p) * 0.1)
save_file({k: v.contiguous() for k, v in ve.state_dict().items()}, str(out / "ve.safetensors"))

rng = np.random.default_rng(2)
sr = 16000
t = np.arange(int(sr * 2.2)) / sr
voice = 0.3 * np.sin(2 * np.pi * (150 + 60 * np.sin(2 * np.pi * 3 * t)) * t) + 0.02 * rng.standard_normal(t.shape)
silence = 0.0005 * rng.standard_normal(int(sr * 0.4))
wav = np.concatenate([silence, voice, silence]).astype(np.float32)

trimmed, _ = librosa.effects.trim(wav, top_db=20)
mel = melspectrogram(trimmed, ve.hp).T  # (T, 40)
embedding = ve.embeds_from_wavs([wav], sample_rate=16000)  # (1, 256), rate 1.3
# Partial embeddings, as inference() computes them before the mean.
mels = torch.from_numpy(mel.astype(np.float32))[None]
from chatterbox.models.voice_encoder.voice_encoder import get_frame_step, get_num_wins  # noqa: E402
step = get_frame_step(0.5, 1.3, ve.hp)
n, target = get_num_wins(mels.size(1), step, 0.8, ve.hp)
if target > mels.size(1):
    mels = torch.cat([mels, torch.zeros(1, target - mels.size(1), 40)], 1)
partials = torch.stack([mels[0, i * step:i * step + 160] for i in range(n)])
with torch.no_grad():
    partial_embeds = ve(partials)
save_file({"wav": torch.from_numpy(wav), "trimmed": torch.from_numpy(trimmed),
           "mel": torch.from_numpy(mel.astype(np.float32)).contiguous(),
           "partial_embeds": partial_embeds.contiguous(),
           "embedding": torch.from_numpy(embedding[0]).contiguous()},
          str(out / "reference.safetensors"))
print("wrote", out, "partials", n, "step", step, "trimmed", len(trimmed), "of", len(wav))
