#include "sidecars/chatterbox/t3_conditioning.hpp"

#include <ATen/TensorOperators.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/embedding.h>
#include <ATen/ops/full.h>
#include <ATen/ops/matmul.h>

#include "sidecars/runtime/transformer.hpp"

namespace warmtts::chatterbox {
namespace {

// The perceiver's AttentionBlock2 (4 heads, SDPA scale, no mask): x1 + proj(MHA(q(LN x1), k, v(LN x2))).
// The same LayerNorm is applied to both inputs.
at::Tensor attention_block(const T3ConditioningWeights& w, const at::Tensor& x1, const at::Tensor& x2) {
  using runtime::dense;
  const int64_t heads = 4, b = x1.size(0), d = x1.size(2), hd = d / heads;
  auto n1 = runtime::layer_norm(x1, w.cond_enc_perceiver_attn_norm_weight, w.cond_enc_perceiver_attn_norm_bias, 1e-5);
  auto n2 = runtime::layer_norm(x2, w.cond_enc_perceiver_attn_norm_weight, w.cond_enc_perceiver_attn_norm_bias, 1e-5);
  auto split = [&](const at::Tensor& t) { return t.view({b, t.size(1), heads, hd}).permute({0, 2, 1, 3}); };
  auto q = split(dense(n1, w.cond_enc_perceiver_attn_to_q_weight, w.cond_enc_perceiver_attn_to_q_bias));
  auto k = split(dense(n2, w.cond_enc_perceiver_attn_to_k_weight, w.cond_enc_perceiver_attn_to_k_bias));
  auto v = split(dense(n2, w.cond_enc_perceiver_attn_to_v_weight, w.cond_enc_perceiver_attn_to_v_bias));
  auto scores = at::matmul(q, k.transpose(-1, -2)) / std::sqrt(static_cast<double>(hd));
  auto h = at::matmul(scores.softmax(-1), v).permute({0, 2, 1, 3}).reshape({b, x1.size(1), d});
  return x1 + dense(h, w.cond_enc_perceiver_attn_proj_out_weight, w.cond_enc_perceiver_attn_proj_out_bias);
}

}  // namespace

T3ConditioningWeights T3ConditioningWeights::load(const runtime::SafetensorsFile& f) {
  T3ConditioningWeights w;
  const std::string p = "cond_enc.perceiver.attn.";
  w.cond_enc_spkr_enc_weight = f.tensor("cond_enc.spkr_enc.weight");
  w.cond_enc_spkr_enc_bias = f.tensor("cond_enc.spkr_enc.bias");
  w.cond_enc_emotion_adv_fc_weight = f.tensor("cond_enc.emotion_adv_fc.weight");
  w.cond_enc_perceiver_pre_attention_query = f.tensor("cond_enc.perceiver.pre_attention_query");
  w.cond_enc_perceiver_attn_norm_weight = f.tensor(p + "norm.weight");
  w.cond_enc_perceiver_attn_norm_bias = f.tensor(p + "norm.bias");
  w.cond_enc_perceiver_attn_to_q_weight = f.tensor(p + "to_q.weight");
  w.cond_enc_perceiver_attn_to_q_bias = f.tensor(p + "to_q.bias");
  w.cond_enc_perceiver_attn_to_k_weight = f.tensor(p + "to_k.weight");
  w.cond_enc_perceiver_attn_to_k_bias = f.tensor(p + "to_k.bias");
  w.cond_enc_perceiver_attn_to_v_weight = f.tensor(p + "to_v.weight");
  w.cond_enc_perceiver_attn_to_v_bias = f.tensor(p + "to_v.bias");
  w.cond_enc_perceiver_attn_proj_out_weight = f.tensor(p + "proj_out.weight");
  w.cond_enc_perceiver_attn_proj_out_bias = f.tensor(p + "proj_out.bias");
  w.speech_emb_weight = f.tensor("speech_emb.weight");
  w.speech_pos_emb_emb_weight = f.tensor("speech_pos_emb.emb.weight");
  return w;
}

at::Tensor t3_conditioning(const T3ConditioningWeights& w, const at::Tensor& speaker_emb,
                           const at::Tensor& prompt_tokens, double exaggeration) {
  const int64_t b = speaker_emb.size(0);
  auto spkr = runtime::dense(speaker_emb.view({b, -1}), w.cond_enc_spkr_enc_weight, w.cond_enc_spkr_enc_bias)
                  .unsqueeze(1);  // [B, 1, D]
  // Prompt speech embedding: token embedding plus learned positions 0..L-1.
  const int64_t len = prompt_tokens.size(1);
  auto positions = at::arange(len, at::TensorOptions().dtype(at::kLong).device(prompt_tokens.device()));
  auto prompt = at::embedding(w.speech_emb_weight, prompt_tokens) +
                at::embedding(w.speech_pos_emb_emb_weight, positions);
  // Perceiver: cross-attention of the learned queries onto the prompt, then self-attention.
  auto query = w.cond_enc_perceiver_pre_attention_query.expand({b, -1, -1});
  auto pre = attention_block(w, query, prompt);
  auto resampled = attention_block(w, pre, pre);
  auto emotion = runtime::dense(at::full({b, 1, 1}, exaggeration, speaker_emb.options()),
                                w.cond_enc_emotion_adv_fc_weight);  // [B, 1, D]
  return at::cat({spkr, resampled, emotion}, 1);
}

}  // namespace warmtts::chatterbox
