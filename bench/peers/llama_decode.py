"""Peer of bench/llama_decode: transformers' LlamaModel with the Chatterbox T3 backbone's
configuration (random weights, fp32, batch 2), one decode step over a 300-token DynamicCache.
Prints ms per step."""
import os
import sys
import time

import torch
from transformers import LlamaConfig, LlamaModel
from transformers.cache_utils import DynamicCache

steps = int(sys.argv[1])
torch.set_num_threads(os.cpu_count() or 1)
config = LlamaConfig(hidden_size=1024, num_hidden_layers=30, num_attention_heads=16,
                     num_key_value_heads=16, head_dim=64, intermediate_size=4096, vocab_size=8,
                     rms_norm_eps=1e-5, rope_theta=500000.0,
                     rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                   "high_freq_factor": 4.0,
                                   "original_max_position_embeddings": 8192},
                     max_position_embeddings=131072, torch_dtype="float32")
model = LlamaModel(config).eval()
with torch.inference_mode():
    cache = DynamicCache()
    model(inputs_embeds=torch.randn(2, 300, 1024), past_key_values=cache, use_cache=True)
    token = torch.randn(2, 1, 1024)
    for _ in range(3):
        model(inputs_embeds=token, past_key_values=cache, use_cache=True)
        cache.crop(300)
    t0 = time.perf_counter()
    for _ in range(steps):
        model(inputs_embeds=token, past_key_values=cache, use_cache=True)
        cache.crop(300)
    print(f"{(time.perf_counter() - t0) * 1000 / steps:.4f}")
