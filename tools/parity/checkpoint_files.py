"""Writes tests/fixtures/checkpoint/: torch.save files shaped like conds.pt (nested dicts with
tensors and None) and like the Higgs tokenizer's model.pth (a state dict with old-style
weight_g/weight_v pairs), a state dict with parametrizations.weight.original0/1 pairs (HiFT),
and the folded weights torch computes, plus a two-shard safetensors checkpoint with its index.

    python tools/parity/checkpoint_files.py OUT_DIR
"""
import json
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file
from torch.nn.utils import parametrizations, weight_norm

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
torch.manual_seed(9)

conds = {"t3": {"speaker_emb": torch.randn(1, 8), "clap_emb": None,
                "cond_prompt_speech_tokens": torch.arange(12).view(1, 12), "cond_prompt_speech_emb": None,
                "emotion_adv": 0.5 * torch.ones(1, 1, 1)},
         "gen": {"prompt_token": torch.arange(6).view(1, 6), "prompt_token_len": torch.tensor([6]),
                 "prompt_feat": torch.randn(1, 12, 5), "prompt_feat_len": None, "embedding": torch.randn(1, 7)}}
torch.save(conds, out / "conds.pt")

conv = weight_norm(torch.nn.Conv1d(3, 4, 5))              # old style, dim 0: g [4,1,1]
convt = weight_norm(torch.nn.ConvTranspose1d(4, 2, 3))    # dim 0 is in_channels: g [4,1,1]
pos = weight_norm(torch.nn.Conv1d(6, 6, 7, groups=2), dim=2)  # HuBERT's positional conv: g [1,1,7]
state = {}
for name, m in [("conv", conv), ("convt", convt), ("pos", pos)]:
    for k, v in m.state_dict().items():
        state[f"{name}.{k}"] = v
torch.save(state, out / "model.pth")

para = parametrizations.weight_norm(torch.nn.Conv1d(5, 3, 3))
psd = {f"conv_pre.{k}": v for k, v in para.state_dict().items()}
save_file({k: v.contiguous() for k, v in psd.items()}, str(out / "parametrized.safetensors"))

with torch.no_grad():
    folded = {"conv.weight": conv.weight, "convt.weight": convt.weight, "pos.weight": pos.weight,
              "conv_pre.weight": para.weight}
save_file({k: v.detach().contiguous() for k, v in folded.items()}, str(out / "folded.safetensors"))

a = {"x.weight": torch.randn(3, 4), "y.weight": torch.randn(2)}
b = {"z.weight": torch.randn(5, 1, 2)}
save_file(a, str(out / "model-00001-of-00002.safetensors"))
save_file(b, str(out / "model-00002-of-00002.safetensors"))
index = {"metadata": {"total_size": 0}, "weight_map": {**{k: "model-00001-of-00002.safetensors" for k in a},
                                                        **{k: "model-00002-of-00002.safetensors" for k in b}}}
(out / "model.safetensors.index.json").write_text(json.dumps(index))
save_file({**a, **b}, str(out / "sharded_expected.safetensors"))
print("wrote", out)
