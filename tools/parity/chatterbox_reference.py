"""Imports chatterbox-tts's model modules without its package __init__ files: chatterbox's imports
the Perth watermarker and s3gen's imports torchaudio, neither of which the model code needs.
Import this module before any `chatterbox.models...` import."""
import os
import site
import sys
import types

ROOT = next(os.path.join(d, "chatterbox") for d in site.getsitepackages()
            if os.path.isdir(os.path.join(d, "chatterbox")))

for _name, _path in (("chatterbox", ROOT),
                     ("chatterbox.models", os.path.join(ROOT, "models")),
                     ("chatterbox.models.s3gen", os.path.join(ROOT, "models", "s3gen"))):
    _package = types.ModuleType(_name)
    _package.__path__ = [_path]
    sys.modules[_name] = _package


class NoWatermark:
    def apply_watermark(self, wav, sample_rate):
        return wav


def stub_watermarker():
    """Perth (the watermarker tts.py imports) is not installed and is no part of the models: a
    stand-in that returns the audio unchanged. Call before importing chatterbox.tts."""
    sys.modules["perth"] = types.SimpleNamespace(PerthImplicitWatermarker=NoWatermark)


def randomize_campplus(model):
    """Random CAMPPlus weights that keep activations O(1): BatchNorm statistics and affines near
    identity, convolutions He-normal (fan-in of each output channel)."""
    import torch
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if name.endswith("running_var"):
                t.copy_(0.5 + torch.rand_like(t))
            elif name.endswith("running_mean") or name.endswith(".bias"):
                t.copy_(0.1 * torch.randn_like(t))
            elif name.endswith("num_batches_tracked"):
                continue
            elif t.dim() == 1:  # BatchNorm weights
                t.copy_(1.0 + 0.1 * torch.randn_like(t))
            else:
                t.copy_(torch.randn_like(t) * (2.0 / t[0].numel()) ** 0.5)
