"""Writes tests/fixtures/chatterbox_s3tokenizer/: Chatterbox's S3 tokenizer (speech_tokenizer_v2_25hz:
conv front end, FSMN attention blocks with RoPE, FSQ) at a narrow width (128 channels, 2 heads of
64, 2 blocks) with random weights in the official layout (tokenizer.* inside s3gen.safetensors,
mel filters included), and for one 16 kHz clip: the log-mel, the encoder output and the tokens
(S3Tokenizer.forward), with and without max_len.

    python tools/parity/chatterbox_s3tokenizer.py OUT_DIR
"""
import sys
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

from s3tokenizer.model_v2 import ModelConfig, S3TokenizerV2  # noqa: E402
import chatterbox_reference  # noqa: F401,E402  (must precede chatterbox imports)
from chatterbox.models.s3tokenizer.s3tokenizer import S3Tokenizer  # noqa: E402

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
torch.manual_seed(53)
config = ModelConfig(n_mels=128, n_audio_state=128, n_audio_head=2, n_audio_layer=2)
# Chatterbox's subclass does not pass its config on; the base class's default is what counts.
S3TokenizerV2.__init__.__defaults__ = (config,)
tok = S3Tokenizer(name="speech_tokenizer_v2_25hz").eval()
assert tok.config.n_audio_state == 128
with torch.no_grad():
    for name, p in tok.named_parameters():
        p.copy_(1.0 + 0.1 * torch.randn_like(p) if "ln" in name and name.endswith("weight")
                else torch.randn_like(p) * (0.5 / max(1, p.shape[-1]) ** 0.5) if p.dim() > 1
                else 0.05 * torch.randn_like(p))
state = {f"tokenizer.{k}": v.contiguous() for k, v in tok.state_dict().items()}
save_file(state, str(out / "s3gen_tokenizer.safetensors"))

rng = np.random.default_rng(4)
t = np.arange(int(16000 * 1.37)) / 16000
wav = torch.from_numpy((0.3 * np.sin(2 * np.pi * (180 + 70 * np.sin(2 * np.pi * 3 * t)) * t)
                        + 0.03 * rng.standard_normal(t.shape)).astype(np.float32))
with torch.no_grad():
    mel = tok.log_mel_spectrogram(wav[None])[0]
    hidden, _ = tok.encoder(mel[None], torch.tensor([mel.shape[-1]]))
    tokens, _ = tok.forward([wav])
    tokens_cut, _ = tok.forward([wav], max_len=20)
save_file({"wav": wav, "mel": mel.contiguous(), "hidden": hidden[0].contiguous(),
           "tokens": tokens[0].long().contiguous(), "tokens_max_len_20": tokens_cut[0].long().contiguous()},
          str(out / "reference.safetensors"))
print("wrote", out, tuple(mel.shape), tuple(hidden.shape), tuple(tokens.shape), tokens[0, :10].tolist())
