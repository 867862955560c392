"""Writes tests/fixtures/chatterbox_tiny/: a complete tiny Chatterbox English repository in the
official file layout (ve.safetensors, t3_cfg.safetensors, s3gen.safetensors with its flow.*,
mel2wav.*, speaker_encoder.* and tokenizer.* sub-models, tokenizer.json, conds.pt), random weights,
plus our dims.json (the tiny shapes, for the volume verifier), a reference clip voice.wav, and
reference.safetensors with end-to-end outputs of ChatterboxTTS.generate.

Tiny sub-models (the stage scripts' constructions): VoiceEncoder hidden 64; T3 hidden 24, 2 layers,
3 heads of 8, FFN 64, 8 perceiver queries (4 heads of 6), speaker embedding 64 (= the VE's), 64
text and 160 speech positions; S3 tokenizer 64 wide, 1 head of 64, 2 blocks; CAMPPlus growth 8,
32-d x-vector; flow as chatterbox_flow.py (32 wide, x-vector 32); HiFT base 16, F0 net 16 (with
gains, log-magnitude offset and F0 bias set so the waveform depends on the mel and is voiced).

conds.pt is the built-in voice: the reference's own prepare_conditionals on a synthetic clip (not
shipped), saved with Conditionals.save. voice.wav (24 kHz, 16-bit, 3 s) is the clip for cloning.

reference.safetensors:
- text_tokens [1,26]: the ids generate feeds T3 for TEXT (before the CFG duplication), SOT/EOT included;
- clone_speaker_emb, clone_cond_prompt_speech_tokens, clone_prompt_token, clone_prompt_feat,
  clone_embedding: what prepare_conditionals(voice.wav, exaggeration=0.5) produces;
- for each case (voice, cfg_weight, exaggeration, seed) in CASES, with torch.manual_seed(seed) right
  before model.generate(TEXT, ...) (T3 multinomial, CFM noise and HiFT's SineGen all draw from the
  default generator; for the clone cases prepare_conditionals runs inside generate and draws nothing):
  {case}_t3_tokens (T3.inference's row 0, raw), {case}_speech_tokens (after drop_invalid_tokens and
  the < 6561 filter, as passed to S3Gen), {case}_mel (the flow output), {case}_wav (generate's
  return value; the watermarker is an identity).
generate hard-codes max_new_tokens=1000; the script caps it at MAX_NEW_TOKENS by wrapping
t3.inference. Sampling uses generate's defaults (temperature 0.8, min_p 0.05, top_p 1.0,
repetition_penalty 1.2). torchaudio must match its torch, so this runs in the torchaudio virtualenv
(with transformers 4.46.3, tokenizers 0.20.3 and diffusers 0.29.0 installed there):

    ~/.cache/warmtts-ta/bin/pip install transformers==4.46.3 tokenizers==0.20.3 diffusers==0.29.0
    ~/.cache/warmtts-ta/bin/python tools/parity/chatterbox_e2e.py OUT_DIR
"""
import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile
import torch
from safetensors.torch import load_file, save_file

import chatterbox_reference  # noqa: E402  (must precede chatterbox imports)

chatterbox_reference.stub_watermarker()
from chatterbox_flow import randomize as randomize_flow, tiny_flow  # noqa: E402  (stubs conformer, omegaconf)
from s3tokenizer.model_v2 import ModelConfig, S3TokenizerV2  # noqa: E402
from chatterbox.models.s3gen import const as s3gen_const, s3gen as s3gen_module  # noqa: E402
from chatterbox.models.s3gen.f0_predictor import ConvRNNF0Predictor  # noqa: E402
from chatterbox.models.s3gen.hifigan import HiFTGenerator  # noqa: E402
from chatterbox.models.s3gen.xvector import CAMPPlus  # noqa: E402

# tts.py imports these from the s3gen package, whose __init__ chatterbox_reference skips.
sys.modules["chatterbox.models.s3gen"].S3Gen = s3gen_module.S3Token2Wav
sys.modules["chatterbox.models.s3gen"].S3GEN_SR = s3gen_const.S3GEN_SR
from chatterbox.models.s3tokenizer import S3Tokenizer  # noqa: E402
from chatterbox.models.t3 import llama_configs  # noqa: E402
from chatterbox.models.t3.modules import perceiver  # noqa: E402
from chatterbox.models.t3.modules.t3_config import T3Config  # noqa: E402
from chatterbox.models.t3.t3 import T3  # noqa: E402
from chatterbox.models.tokenizers import EnTokenizer  # noqa: E402
from chatterbox.models.voice_encoder import VoiceEncoder  # noqa: E402
from chatterbox.models.voice_encoder.config import VoiceEncConfig  # noqa: E402
from chatterbox.tts import ChatterboxTTS, Conditionals, punc_norm  # noqa: E402

TEXT = "Hello world. This is a tiny test!"
MAX_NEW_TOKENS = 40
CASES = (("builtin", 0.5, 0.5, 11), ("builtin", 0.3, 1.0, 12), ("clone", 0.5, 0.5, 13), ("clone", 0.3, 1.0, 14))
VE_HIDDEN, T3_HIDDEN, T3_HEADS, T3_LAYERS, T3_FFN, QUERIES = 64, 24, 3, 2, 64, 8
TOK_WIDTH, XVEC = 64, 32
REPO = Path(__file__).resolve().parents[2]


class TinyVEConfig(VoiceEncConfig):
    ve_hidden_size = VE_HIDDEN
    speaker_embed_size = VE_HIDDEN


def tiny_ve():
    ve = VoiceEncoder(TinyVEConfig()).eval()
    with torch.no_grad():
        for p in ve.parameters():
            p.copy_(torch.randn_like(p) * 0.1)
    return ve


def tiny_t3():
    tiny = dict(llama_configs.LLAMA_CONFIGS["Llama_520M"])
    tiny.update(hidden_size=T3_HIDDEN, intermediate_size=T3_FFN, num_hidden_layers=T3_LAYERS,
                num_attention_heads=T3_HEADS, num_key_value_heads=T3_HEADS, head_dim=T3_HIDDEN // T3_HEADS)
    llama_configs.LLAMA_CONFIGS["TinyE2E"] = tiny
    # The perceiver's width is hard-coded to 1024; the tiny one follows the backbone.
    perceiver.Perceiver.__init__.__defaults__ = (QUERIES, T3_HIDDEN, T3_HIDDEN, 4)
    hp = T3Config.english_only()
    hp.llama_config_name = "TinyE2E"
    hp.speaker_embed_size = VE_HIDDEN
    hp.max_text_tokens = 62     # 64 text positions
    hp.max_speech_tokens = 156  # 160 speech positions: the 150-token prompt and the generated tokens
    t3 = T3(hp).eval()
    with torch.no_grad():
        for name, p in t3.named_parameters():
            p.copy_(1.0 + 0.1 * torch.randn_like(p) if "norm" in name else torch.randn_like(p) * 0.2)
    return t3


def tiny_tokenizer():
    config = ModelConfig(n_mels=128, n_audio_state=TOK_WIDTH, n_audio_head=TOK_WIDTH // 64, n_audio_layer=2)
    # Chatterbox's subclass does not pass its config on; the base class's default is what counts.
    defaults = S3TokenizerV2.__init__.__defaults__
    S3TokenizerV2.__init__.__defaults__ = (config,)
    tok = S3Tokenizer(name="speech_tokenizer_v2_25hz").eval()
    S3TokenizerV2.__init__.__defaults__ = defaults
    with torch.no_grad():
        for name, p in tok.named_parameters():
            p.copy_(1.0 + 0.1 * torch.randn_like(p) if "ln" in name and name.endswith("weight")
                    else torch.randn_like(p) * (0.5 / max(1, p.shape[-1]) ** 0.5) if p.dim() > 1
                    else 0.05 * torch.randn_like(p))
    return tok


def tiny_campplus():
    model = CAMPPlus(feat_dim=80, embedding_size=XVEC, growth_rate=8, bn_size=2, init_channels=16,
                     memory_efficient=False).eval()
    chatterbox_reference.randomize_campplus(model)
    return model


def tiny_hift(**_):
    hift = HiFTGenerator(in_channels=80, base_channels=16, sampling_rate=24000, upsample_rates=[8, 5, 3],
                         upsample_kernel_sizes=[16, 11, 7], source_resblock_kernel_sizes=[7, 7, 11],
                         source_resblock_dilation_sizes=[[1, 3, 5], [1, 3, 5], [1, 3, 5]],
                         f0_predictor=ConvRNNF0Predictor(in_channels=80, cond_channels=16)).eval()
    with torch.no_grad():
        for name, p in hift.named_parameters():
            p.copy_(0.5 + torch.rand_like(p) if "alpha" in name else torch.randn_like(p) * 0.3)
        # Unlike chatterbox_hift.py, keep the waveform mel-dependent and mostly unclipped, and the
        # F0 voiced (~150 Hz, SineGen's sine path): weight-norm gains in [0.5, 1) ([2, 4) for
        # conv_post), log-magnitudes shifted down by 3, an F0 head with bias 150.
        for name, p in hift.named_parameters():
            if name.endswith("parametrizations.weight.original0"):
                p.copy_(0.5 + 0.5 * torch.rand_like(p))
        hift.conv_post.parametrizations.weight.original0.mul_(4.0)
        hift.conv_post.bias[:9] -= 3.0
        hift.f0_predictor.classifier.weight.mul_(20 / 0.3)
        hift.f0_predictor.classifier.bias.fill_(150.0)
    return hift


def tiny_s3gen():
    """S3Gen() itself, with the sub-model classes it instantiates swapped for tiny builders."""
    flow = tiny_flow(spk_embed_dim=XVEC)
    randomize_flow(flow)
    builders = dict(S3Tokenizer=lambda *a, **k: tiny_tokenizer(), CAMPPlus=lambda *a, **k: tiny_campplus(),
                    UpsampleConformerEncoder=lambda *a, **k: flow.encoder,
                    ConditionalDecoder=lambda *a, **k: flow.decoder.estimator,
                    CausalConditionalCFM=lambda *a, **k: flow.decoder,
                    CausalMaskedDiffWithXvec=lambda *a, **k: flow,
                    ConvRNNF0Predictor=lambda *a, **k: None, HiFTGenerator=tiny_hift)
    saved = {k: getattr(s3gen_module, k) for k in builders}
    for k, v in builders.items():
        setattr(s3gen_module, k, v)
    try:
        s3gen = s3gen_module.S3Token2Wav().eval()
    finally:
        for k, v in saved.items():
            setattr(s3gen_module, k, v)
    assert s3gen.flow is flow
    return s3gen


def clip(seconds, f0, rate, seed, sr=24000):
    """Speech-like: harmonics of a wobbling f0 under a syllable envelope, a little noise, and
    near-silence (low noise) at both ends."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(sr * seconds)) / sr
    phase = 2 * np.pi * np.cumsum(f0 * (1 + 0.15 * np.sin(2 * np.pi * 1.7 * t))) / sr
    voiced = sum(np.sin(k * phase + k) / k for k in range(1, 9))
    envelope = np.sin(np.pi * t / seconds) * (0.55 + 0.45 * np.sin(2 * np.pi * rate * t))
    voice = 0.18 * envelope * voiced + 0.01 * rng.standard_normal(t.shape)
    silence = lambda: 0.0005 * rng.standard_normal(int(sr * 0.3))  # noqa: E731
    return np.concatenate([silence(), voice, silence()]).astype(np.float32)


def main():
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(71)
    ve, t3, s3gen = tiny_ve(), tiny_t3(), tiny_s3gen()
    save_file({k: v.contiguous() for k, v in ve.state_dict().items()}, str(out / "ve.safetensors"))
    save_file({k: v.contiguous() for k, v in t3.state_dict().items()}, str(out / "t3_cfg.safetensors"))
    # trim_fade is non-persistent; the tokenizer's _mel_filters and window are persistent buffers.
    save_file({k: v.contiguous() for k, v in s3gen.state_dict().items() if not k.endswith("num_batches_tracked")},
              str(out / "s3gen.safetensors"))
    shutil.copyfile(REPO / "tests/fixtures/tokenizers/english.json", out / "tokenizer.json")

    # Load everything back the way ChatterboxTTS.from_local does (strict=False for S3Gen).
    ve.load_state_dict(load_file(out / "ve.safetensors"))
    t3.load_state_dict(load_file(out / "t3_cfg.safetensors"))
    missing, unexpected = s3gen.load_state_dict(load_file(out / "s3gen.safetensors"), strict=False)
    assert not unexpected and all(k.endswith("num_batches_tracked") for k in missing), (missing, unexpected)
    tokenizer = EnTokenizer(str(out / "tokenizer.json"))
    model = ChatterboxTTS(t3, s3gen, ve, tokenizer, device="cpu")
    model.watermarker = chatterbox_reference.NoWatermark()

    soundfile.write(out / "voice.wav", clip(2.4, 150.0, 4.0, seed=5), 24000, subtype="PCM_16")
    with tempfile.TemporaryDirectory() as tmp:
        builtin = Path(tmp) / "builtin.wav"
        soundfile.write(builtin, clip(2.0, 210.0, 5.0, seed=6), 24000, subtype="PCM_16")
        model.prepare_conditionals(str(builtin), exaggeration=0.5)
    model.conds.save(out / "conds.pt")

    ref = {}
    state = torch.get_rng_state()
    model.prepare_conditionals(str(out / "voice.wav"), exaggeration=0.5)
    assert torch.equal(state, torch.get_rng_state()), "prepare_conditionals drew random numbers"
    ref.update(clone_speaker_emb=model.conds.t3.speaker_emb,
               clone_cond_prompt_speech_tokens=model.conds.t3.cond_prompt_speech_tokens,
               clone_prompt_token=model.conds.gen["prompt_token"], clone_prompt_feat=model.conds.gen["prompt_feat"],
               clone_embedding=model.conds.gen["embedding"])

    # Capture T3's raw tokens (capping generate's hard-coded max_new_tokens=1000), the tokens S3Gen
    # gets, and the flow's mel.
    seen = {}
    t3_inference, s3_inference, flow_inference = t3.inference, s3gen.inference, s3gen.flow_inference

    def capped_t3_inference(**kwargs):
        kwargs["max_new_tokens"] = MAX_NEW_TOKENS
        seen["text_tokens"] = kwargs["text_tokens"]
        seen["t3_tokens"] = t3_inference(**kwargs)
        return seen["t3_tokens"]

    def recording_s3_inference(speech_tokens, **kwargs):
        seen["speech_tokens"] = speech_tokens.clone()
        return s3_inference(speech_tokens=speech_tokens, **kwargs)

    def recording_flow_inference(*args, **kwargs):
        seen["mel"] = flow_inference(*args, **kwargs)
        return seen["mel"]

    t3.inference, s3gen.inference, s3gen.flow_inference = \
        capped_t3_inference, recording_s3_inference, recording_flow_inference
    for voice, cfg, ex, seed in CASES:
        case = f"{voice}_cfg{cfg}_ex{ex}_seed{seed}"
        if voice == "builtin":
            model.conds = Conditionals.load(out / "conds.pt")  # as from_local; no cached perceiver input
            prompt = None
        else:
            prompt = str(out / "voice.wav")
        seen.clear()
        torch.manual_seed(seed)
        wav = model.generate(TEXT, repetition_penalty=1.2, min_p=0.05, top_p=1.0, audio_prompt_path=prompt,
                             exaggeration=ex, cfg_weight=cfg, temperature=0.8)
        ref[f"{case}_t3_tokens"] = seen["t3_tokens"][0].long()
        ref[f"{case}_speech_tokens"] = seen["speech_tokens"].long()
        ref[f"{case}_mel"] = seen["mel"]
        ref[f"{case}_wav"] = wav
        n = len(seen["speech_tokens"])
        assert n >= 10, f"{case}: only {n} speech tokens"
        assert ref[f"{case}_wav"].shape == (1, 960 * n) and torch.isfinite(wav).all()
        print(case, "t3 tokens", seen["t3_tokens"].shape[1], "speech tokens", n,
              "wav absmax %.3f std %.3f" % (wav.abs().max(), wav.std()),
              "mel mean %.2f std %.2f" % (seen["mel"].mean(), seen["mel"].std()))

    assert punc_norm(TEXT) == TEXT
    ids = tokenizer.text_to_tokens(TEXT)
    ref["text_tokens"] = torch.cat([torch.tensor([[t3.hp.start_text_token]]), ids.long(),
                                    torch.tensor([[t3.hp.stop_text_token]])], 1)
    assert torch.equal(seen["text_tokens"].long(), ref["text_tokens"].expand(2, -1))  # the CFG pair
    assert ref["text_tokens"].max() < t3.hp.text_tokens_dict_size
    save_file({k: v.contiguous() for k, v in ref.items()}, str(out / "reference.safetensors"))

    sd, gsd = t3.state_dict(), s3gen.state_dict()
    dims = {"t3": {"layers": t3.cfg.num_hidden_layers, "hidden": t3.cfg.hidden_size,
                   "ffn": t3.cfg.intermediate_size, "heads": t3.cfg.num_attention_heads,
                   "text_vocab": sd["text_emb.weight"].shape[0], "speech_vocab": sd["speech_emb.weight"].shape[0],
                   "text_positions": sd["text_pos_emb.emb.weight"].shape[0],
                   "speech_positions": sd["speech_pos_emb.emb.weight"].shape[0],
                   "speaker_dim": sd["cond_enc.spkr_enc.weight"].shape[1],
                   "perceiver_queries": sd["cond_enc.perceiver.pre_attention_query"].shape[1]},
            "ve": {"mels": ve.hp.num_mels, "hidden": ve.hp.ve_hidden_size, "layers": ve.lstm.num_layers},
            "s3gen": {"speech_vocab": gsd["flow.input_embedding.weight"].shape[0],
                      "flow_dim": gsd["flow.input_embedding.weight"].shape[1],
                      "mels": gsd["flow.encoder_proj.weight"].shape[0],
                      "xvector_dim": gsd["flow.spk_embed_affine_layer.weight"].shape[1],
                      "tokenizer_dim": gsd["tokenizer.quantizer._codebook.project_down.weight"].shape[1]}}
    (out / "dims.json").write_text(json.dumps(dims, indent=1) + "\n")
    for k, v in ref.items():
        print(f"{k:45s} {tuple(v.shape)} {v.dtype}")
    print(json.dumps(dims))
    print({p.name: p.stat().st_size for p in sorted(out.iterdir())})


if __name__ == "__main__":
    main()
