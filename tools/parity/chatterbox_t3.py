"""Writes tests/fixtures/chatterbox_t3/: a tiny T3 (hidden 32, 2 layers, perceiver with 8
queries) in the official layout (t3_cfg.safetensors, random weights) and the reference's
conditioning embeddings (T3.prepare_conditioning: speaker projection, perceiver over the prompt
speech embedding, emotion) for a random speaker embedding and prompt, at exaggeration 0.5 and 1.0,
and the speech tokens T3.inference samples from seeded torch generators (cfg_weight 0.5 and 0.3).

    python tools/parity/chatterbox_t3.py OUT_DIR
"""
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file

import chatterbox_reference  # noqa: F401,E402  (must precede chatterbox imports)
from chatterbox.models.t3 import llama_configs  # noqa: E402
from chatterbox.models.t3.modules import perceiver  # noqa: E402
from chatterbox.models.t3.modules.cond_enc import T3Cond  # noqa: E402
from chatterbox.models.t3.modules.t3_config import T3Config  # noqa: E402
from chatterbox.models.t3.t3 import T3  # noqa: E402

HIDDEN = 32
tiny = dict(llama_configs.LLAMA_CONFIGS["Llama_520M"])
tiny.update(hidden_size=HIDDEN, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
            num_key_value_heads=4, head_dim=8)
llama_configs.LLAMA_CONFIGS["Tiny"] = tiny
# The perceiver's width is hard-coded to 1024; the tiny one follows the backbone.
perceiver.Perceiver.__init__.__defaults__ = (8, HIDDEN, HIDDEN, 4)

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
torch.manual_seed(23)
hp = T3Config.english_only()
hp.llama_config_name = "Tiny"
t3 = T3(hp).eval()
with torch.no_grad():
    for name, p in t3.named_parameters():
        p.copy_(1.0 + 0.1 * torch.randn_like(p) if "norm" in name else torch.randn_like(p) * 0.2)
save_file({k: v.contiguous() for k, v in t3.state_dict().items()}, str(out / "t3_cfg.safetensors"))

speaker = torch.randn(1, 256)
prompt = torch.randint(0, 6561, (1, 20))
ref = {"speaker_emb": speaker, "prompt_tokens": prompt}
with torch.no_grad():
    for ex in (0.5, 1.0):
        cond = T3Cond(speaker_emb=speaker, cond_prompt_speech_tokens=prompt,
                      emotion_adv=ex * torch.ones(1, 1, 1))
        ref[f"cond_emb_{ex}"] = t3.prepare_conditioning(cond).contiguous()
# The sampling loop: CFG batch of 2, repetition penalty, temperature, min_p, top_p, multinomial.
text = torch.cat([torch.tensor([[255]]), torch.randint(1, 700, (1, 12)), torch.tensor([[0]])], 1)
ref["text_tokens"] = text
with torch.no_grad():
    for cfg, ex, seed in ((0.5, 0.5, 101), (0.3, 1.0, 202)):
        cond = T3Cond(speaker_emb=speaker, cond_prompt_speech_tokens=prompt,
                      emotion_adv=ex * torch.ones(1, 1, 1))
        torch.manual_seed(seed)
        tokens = t3.inference(t3_cond=cond, text_tokens=torch.cat([text, text]), max_new_tokens=40,
                              temperature=0.8, top_p=1.0, min_p=0.05, repetition_penalty=1.2,
                              cfg_weight=cfg)
        ref[f"tokens_cfg{cfg}_ex{ex}_seed{seed}"] = tokens[0].contiguous()
save_file(ref, str(out / "reference.safetensors"))
print("wrote", out, {k: tuple(v.shape) for k, v in ref.items()})
