"""Writes tests/fixtures/sampling/reference.safetensors: random scores passed through
transformers' logits processors one at a time and in the two models' chains, and multinomial
draws from a seeded torch.Generator.

    python tools/parity/sampling.py OUT_DIR
"""
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file
from transformers.generation.logits_process import (MinPLogitsWarper,
                                                    RepetitionPenaltyLogitsProcessor,
                                                    TemperatureLogitsWarper,
                                                    TopKLogitsWarper, TopPLogitsWarper)

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
torch.manual_seed(7)
scores = torch.randn(2, 64) * 3
previous = torch.tensor([[5, 9, 9, 63, 0], [1, 1, 2, 3, 40]])
t = {"scores": scores, "previous": previous}
t["repetition_penalty_1.2"] = RepetitionPenaltyLogitsProcessor(1.2)(previous, scores.clone())
t["temperature_0.8"] = TemperatureLogitsWarper(0.8)(previous, scores.clone())
t["top_k_5"] = TopKLogitsWarper(5)(previous, scores.clone())
t["top_p_0.9"] = TopPLogitsWarper(0.9)(previous, scores.clone())
t["min_p_0.05"] = MinPLogitsWarper(0.05)(previous, scores.clone())
t["min_p_0.5"] = MinPLogitsWarper(0.5)(previous, scores.clone())
# Chatterbox: repetition 1.2 -> temperature 0.8 -> min_p 0.05 -> top_p 1.0 (specs §5.4)
s = RepetitionPenaltyLogitsProcessor(1.2)(previous, scores.clone())
s = TemperatureLogitsWarper(0.8)(previous, s)
s = MinPLogitsWarper(0.05)(previous, s)
t["chain_chatterbox"] = TopPLogitsWarper(1.0)(previous, s)
# Higgs: temperature 0.7 -> top_k 50 -> top_p 0.95
s = TemperatureLogitsWarper(0.7)(previous, scores.clone())
s = TopKLogitsWarper(50)(previous, s)
t["chain_higgs"] = TopPLogitsWarper(0.95)(previous, s)
# Draws: 20 rounds of multinomial from one seeded generator.
g = torch.Generator().manual_seed(1234)
probs = t["chain_higgs"].softmax(-1)
t["draws_seed_1234"] = torch.stack([torch.multinomial(probs, 1, generator=g).squeeze(-1)
                                    for _ in range(20)])
save_file({k: v.contiguous() for k, v in t.items()}, str(out / "reference.safetensors"))
print("wrote", out)
