"""Writes tests/fixtures/llama_tiny/: a tiny random transformers LlamaModel (GQA, Llama-3 RoPE
scaling) in the official file layout (config.json + model.safetensors from save_pretrained) and
reference tensors: a full forward pass with its attention weights, and the same sequence
decoded with a KV cache (a 6-token prefill, then one token at a time).

    python tools/parity/llama_tiny.py OUT_DIR
"""
import json
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file
from transformers import LlamaConfig, LlamaModel
from transformers.cache_utils import DynamicCache

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
torch.manual_seed(1234)

config = LlamaConfig(
    hidden_size=64,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    head_dim=16,
    intermediate_size=128,
    vocab_size=32,
    rms_norm_eps=1e-5,
    rope_theta=500000.0,
    # Small original context so that all three Llama-3 frequency bands occur at head_dim 16.
    rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                  "high_freq_factor": 4.0, "original_max_position_embeddings": 64},
    max_position_embeddings=512,
    attention_bias=False,
    mlp_bias=False,
    torch_dtype="float32",
)
# Eager attention: the only implementation that returns attention weights.
config._attn_implementation = "eager"
model = LlamaModel(config).eval()
# Random weights with some spread (the default init is tiny), norms included.
with torch.no_grad():
    for name, p in model.named_parameters():
        if "norm" in name:
            p.copy_(1.0 + 0.1 * torch.randn_like(p))
        else:
            p.copy_(torch.randn_like(p) / p.shape[-1] ** 0.5)
model.save_pretrained(out, safe_serialization=True)

embeds = torch.randn(2, 10, 64)
with torch.no_grad():
    result = model(inputs_embeds=embeds, output_attentions=True)
    full = result.last_hidden_state
    attentions = result.attentions  # per layer [B, heads, T, T]
    cache = DynamicCache()
    steps = [model(inputs_embeds=embeds[:, :6], past_key_values=cache, use_cache=True).last_hidden_state]
    for i in range(6, 10):
        steps.append(model(inputs_embeds=embeds[:, i:i + 1], past_key_values=cache,
                           use_cache=True).last_hidden_state)
    incremental = torch.cat(steps, dim=1)
    inv_freq = model.rotary_emb.inv_freq

save_file({"inputs_embeds": embeds.contiguous(), "full": full.contiguous(),
           "incremental": incremental.contiguous(), "inv_freq": inv_freq.contiguous(),
           **{f"attentions.{i}": a.contiguous() for i, a in enumerate(attentions)}},
          str(out / "reference.safetensors"))
print("max |full - incremental| in the reference:", (full - incremental).abs().max().item())
print("wrote", out)
