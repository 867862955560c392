"""Writes tests/fixtures/chatterbox_hift/: S3Gen's HiFT vocoder (HiFTGenerator with
ConvRNNF0Predictor, Chatterbox's rates 8-5-3, iSTFT 16/4) at a tiny width (base 16, F0 net 16),
random weights in the official layout (mel2wav.* with weight-norm parametrizations), and for a
random mel: the F0 prediction, the neural source signal (seeded) and the decoded waveform.

    python tools/parity/chatterbox_hift.py OUT_DIR
"""
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file

import chatterbox_reference  # noqa: F401,E402  (must precede chatterbox imports)
from chatterbox.models.s3gen.f0_predictor import ConvRNNF0Predictor  # noqa: E402
from chatterbox.models.s3gen.hifigan import HiFTGenerator  # noqa: E402

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
torch.manual_seed(31)
hift = HiFTGenerator(in_channels=80, base_channels=16, sampling_rate=24000, upsample_rates=[8, 5, 3],
                     upsample_kernel_sizes=[16, 11, 7], source_resblock_kernel_sizes=[7, 7, 11],
                     source_resblock_dilation_sizes=[[1, 3, 5], [1, 3, 5], [1, 3, 5]],
                     f0_predictor=ConvRNNF0Predictor(in_channels=80, cond_channels=16)).eval()
with torch.no_grad():
    for name, p in hift.named_parameters():
        if "alpha" in name:
            p.copy_(0.5 + torch.rand_like(p))
        else:
            p.copy_(torch.randn_like(p) * 0.3)
save_file({f"mel2wav.{k}": v.contiguous() for k, v in hift.state_dict().items()},
          str(out / "s3gen_hift.safetensors"))

mel = torch.randn(1, 80, 12) - 4
with torch.no_grad():
    f0 = hift.f0_predictor(mel)
    torch.manual_seed(5)
    wav, source = hift.inference(speech_feat=mel)
save_file({"mel": mel, "f0": f0.contiguous(), "source": source.contiguous(), "wav": wav.contiguous()},
          str(out / "reference.safetensors"))
print("wrote", out, tuple(wav.shape), tuple(source.shape))
