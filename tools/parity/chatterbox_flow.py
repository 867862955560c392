"""Writes tests/fixtures/chatterbox_flow/: S3Gen's token-to-mel flow (CausalMaskedDiffWithXvec:
UpsampleConformerEncoder, 2 + 4 rel-pos Conformer layers, 32 wide, 2 heads; CausalConditionalCFM
with a ConditionalDecoder estimator, channels [32], 1 transformer block per stage, 2 mid blocks,
2 heads of 64) with random weights in the official layout (flow.* as in s3gen.safetensors), and
for random tokens, prompt tokens, prompt mel and a 32-d x-vector: the projected speaker embedding,
the encoder output, mu, the seeded CFM noise z, the cosine t-span, the estimator's conditional and
unconditional velocities and their CFG mix at Euler step 0, and the final mel
(CausalMaskedDiffWithXvec.inference, finalize=True, 10 steps). Needs diffusers 0.29.0 (the
estimator's attention); conformer and omegaconf are imported but unused here, so they are stubbed.

    python tools/parity/chatterbox_flow.py OUT_DIR
"""
import sys
import types
from pathlib import Path

import torch
from safetensors.torch import save_file

import chatterbox_reference  # noqa: F401,E402  (must precede chatterbox imports)

# matcha/decoder.py imports conformer.ConformerBlock and flow.py omegaconf.DictConfig (a default
# argument only); neither is on the inference path.
sys.modules.setdefault("conformer", types.SimpleNamespace(ConformerBlock=torch.nn.Module))
sys.modules.setdefault("omegaconf", types.SimpleNamespace(DictConfig=dict))
from chatterbox.models.s3gen.configs import CFM_PARAMS  # noqa: E402
from chatterbox.models.s3gen.decoder import ConditionalDecoder  # noqa: E402
from chatterbox.models.s3gen.flow import CausalMaskedDiffWithXvec  # noqa: E402
from chatterbox.models.s3gen.flow_matching import CausalConditionalCFM  # noqa: E402
from chatterbox.models.s3gen.transformer.upsample_encoder import (  # noqa: E402
    PreLookaheadLayer, Upsample1D, UpsampleConformerEncoder)

WIDTH, XVEC = 32, 32


def tiny_flow(spk_embed_dim=XVEC):
    """The tiny flow, built the way s3gen.py builds the real one (random init, see randomize)."""
    enc = UpsampleConformerEncoder(input_size=WIDTH, output_size=WIDTH, attention_heads=2, linear_units=64,
                                   num_blocks=2, dropout_rate=0.1, positional_dropout_rate=0.1,
                                   attention_dropout_rate=0.1, normalize_before=True, input_layer="linear",
                                   pos_enc_layer_type="rel_pos_espnet", selfattention_layer_type="rel_selfattn",
                                   use_cnn_module=False, macaron_style=False)
    # These two are hard-coded 512 wide in upsample_encoder.py.
    enc.pre_lookahead_layer = PreLookaheadLayer(channels=WIDTH, pre_lookahead_len=3)
    enc.up_layer = Upsample1D(channels=WIDTH, out_channels=WIDTH, stride=2)
    estimator = ConditionalDecoder(in_channels=320, out_channels=80, causal=True, channels=[WIDTH], dropout=0.0,
                                   attention_head_dim=64, n_blocks=1, num_mid_blocks=2, num_heads=2, act_fn="gelu")
    cfm = CausalConditionalCFM(in_channels=240, cfm_params=CFM_PARAMS, spk_emb_dim=80, estimator=estimator)
    return CausalMaskedDiffWithXvec(input_size=WIDTH, output_size=80, spk_embed_dim=spk_embed_dim,
                                    vocab_size=6561, encoder=enc, decoder=cfm).eval()


def randomize(flow):
    """LayerNorms near identity, matrices ~ fan_in^-1/2 (activations stay O(1)), small biases."""
    with torch.no_grad():
        norms = {id(m) for m in flow.modules() if isinstance(m, torch.nn.LayerNorm)}
        for module in flow.modules():
            for name, p in module.named_parameters(recurse=False):
                if id(module) in norms:
                    p.copy_(1.0 + 0.1 * torch.randn_like(p) if name == "weight" else 0.1 * torch.randn_like(p))
                elif name.startswith("pos_bias"):
                    p.copy_(0.2 * torch.randn_like(p))
                elif isinstance(module, torch.nn.Embedding):
                    p.copy_(torch.randn_like(p))
                elif p.dim() > 1:
                    p.copy_(torch.randn_like(p) * (1.0 / p[0].numel()) ** 0.5)
                else:
                    p.copy_(0.05 * torch.randn_like(p))


def main():
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(61)
    flow = tiny_flow()
    randomize(flow)
    save_file({f"flow.{k}": v.contiguous() for k, v in flow.state_dict().items()},
              str(out / "s3gen_flow.safetensors"))

    tp, tg, seed = 8, 14, 7
    ref = {"token": torch.randint(0, 6561, (1, tg)), "prompt_token": torch.randint(0, 6561, (1, tp)),
           "prompt_feat": torch.randn(1, 2 * tp, 80) - 5.0, "embedding": torch.randn(1, XVEC),
           "seed": torch.tensor([seed])}

    # Capture the stages with hooks and wrappers; the reference code itself runs unchanged.
    def hook(name, pick):
        def record(module, inputs, output):
            ref[name] = pick(output).clone()
        return record

    hooks = [flow.spk_embed_affine_layer.register_forward_hook(hook("spks", lambda o: o)),
             flow.encoder.register_forward_hook(hook("encoder_h", lambda o: o[0])),
             flow.encoder_proj.register_forward_hook(hook("mu", lambda o: o.transpose(1, 2)))]
    cfm, estimator = flow.decoder, flow.decoder.estimator
    solve_euler, estimate, randn_like = cfm.solve_euler, estimator.forward, torch.randn_like

    def record_solve_euler(x, t_span, *args, **kwargs):
        ref["t_span"] = t_span.clone()
        return solve_euler(x, t_span, *args, **kwargs)

    def record_estimate(*args, **kwargs):
        v = estimate(*args, **kwargs)
        if "v_cond0" not in ref:
            ref["v_cond0"], ref["v_uncond0"] = v[:1].clone(), v[1:].clone()
            ref["dxdt0"] = (1.0 + cfm.inference_cfg_rate) * v[:1] - cfm.inference_cfg_rate * v[1:]
        return v

    def record_randn_like(t, *args, **kwargs):
        z = randn_like(t, *args, **kwargs)
        ref.setdefault("z", z.clone())
        return z

    cfm.solve_euler, estimator.forward, torch.randn_like = record_solve_euler, record_estimate, record_randn_like
    try:
        with torch.inference_mode():
            torch.manual_seed(seed)
            mel, _ = flow.inference(token=ref["token"], token_len=torch.tensor([tg]),
                                    prompt_token=ref["prompt_token"], prompt_token_len=torch.tensor([tp]),
                                    prompt_feat=ref["prompt_feat"], prompt_feat_len=None,
                                    embedding=ref["embedding"], finalize=True, n_timesteps=10)
    finally:
        cfm.solve_euler, estimator.forward, torch.randn_like = solve_euler, estimate, randn_like
        for h in hooks:
            h.remove()
    ref["mel"] = mel.clone()

    # z is the first draw after the seed: the same as a plain randn of mu's shape.
    torch.manual_seed(seed)
    assert torch.equal(torch.randn(1, 80, 2 * (tp + tg)), ref["z"])
    assert ref["mel"].shape == (1, 80, 2 * tg) and torch.isfinite(ref["mel"]).all()
    save_file({k: v.contiguous() for k, v in ref.items()}, str(out / "reference.safetensors"))
    for k, v in ref.items():
        print(f"{k:12s} {tuple(v.shape)} {v.dtype} "
              + (f"mean {v.float().mean():.3f} std {v.float().std():.3f} absmax {v.float().abs().max():.3f}"
                 if v.numel() > 1 else str(v.tolist())))


if __name__ == "__main__":
    main()
