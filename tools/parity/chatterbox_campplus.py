"""Writes tests/fixtures/chatterbox_campplus/: S3Gen's CAMPPlus speaker encoder at a narrow width
(growth 8, bottleneck 16, 16 initial channels, 32-d embedding; the official block layout
12/24/16) with random weights and random BatchNorm statistics in the official layout
(speaker_encoder.*), and for one 16 kHz clip: the mean-normalised Kaldi fbank and the x-vector
(CAMPPlus.inference). torchaudio must match its torch, so this runs in the torchaudio virtualenv:

    ~/.cache/warmtts-ta/bin/pip install --no-deps chatterbox-tts==0.1.7
    ~/.cache/warmtts-ta/bin/python tools/parity/chatterbox_campplus.py OUT_DIR
"""
import sys
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

import chatterbox_reference  # noqa: E402  (must precede chatterbox imports)
from chatterbox.models.s3gen.xvector import CAMPPlus, extract_feature  # noqa: E402

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
torch.manual_seed(41)
model = CAMPPlus(feat_dim=80, embedding_size=32, growth_rate=8, bn_size=2, init_channels=16,
                 memory_efficient=False).eval()
chatterbox_reference.randomize_campplus(model)
state = {f"speaker_encoder.{k}": v.contiguous() for k, v in model.state_dict().items()
         if not k.endswith("num_batches_tracked")}
save_file(state, str(out / "campplus.safetensors"))

rng = np.random.default_rng(8)
t = np.arange(int(16000 * 1.4)) / 16000
wav = torch.from_numpy((0.3 * np.sin(2 * np.pi * (140 + 50 * np.sin(2 * np.pi * 2 * t)) * t)
                        + 0.02 * rng.standard_normal(t.shape)).astype(np.float32))
with torch.no_grad():
    feats, _, _ = extract_feature([wav])
    xvector = model.inference([wav])
save_file({"wav": wav, "features": feats[0].contiguous(), "xvector": xvector.contiguous()},
          str(out / "reference.safetensors"))
print("wrote", out, tuple(feats.shape), tuple(xvector.shape), len(state), "tensors")
