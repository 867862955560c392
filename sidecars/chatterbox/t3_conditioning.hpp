// T3's conditioning encoder (specs/chatterbox.md §5.2, t3.py prepare_conditioning + T3CondEnc):
// [speaker projection | perceiver(prompt speech embedding) | emotion(exaggeration)].
// Weights are t3_cfg.safetensors' cond_enc.* tensors plus the speech embeddings the prompt uses.
#pragma once

#include <ATen/core/Tensor.h>

#include "sidecars/runtime/safetensors_file.hpp"

namespace warmtts::chatterbox {

struct T3ConditioningWeights {
  at::Tensor cond_enc_spkr_enc_weight;                   // [D, 256]
  at::Tensor cond_enc_spkr_enc_bias;                     // [D]
  at::Tensor cond_enc_emotion_adv_fc_weight;             // [D, 1]
  at::Tensor cond_enc_perceiver_pre_attention_query;     // [1, Q, D]
  at::Tensor cond_enc_perceiver_attn_norm_weight;        // [D] (LayerNorm)
  at::Tensor cond_enc_perceiver_attn_norm_bias;          // [D]
  at::Tensor cond_enc_perceiver_attn_to_q_weight, cond_enc_perceiver_attn_to_q_bias;
  at::Tensor cond_enc_perceiver_attn_to_k_weight, cond_enc_perceiver_attn_to_k_bias;
  at::Tensor cond_enc_perceiver_attn_to_v_weight, cond_enc_perceiver_attn_to_v_bias;
  at::Tensor cond_enc_perceiver_attn_proj_out_weight, cond_enc_perceiver_attn_proj_out_bias;
  at::Tensor speech_emb_weight;                          // [V_speech, D]
  at::Tensor speech_pos_emb_emb_weight;                  // [P_speech, D]

  static T3ConditioningWeights load(const runtime::SafetensorsFile& t3_cfg);
};

// speaker_emb [B, 256] (VoiceEncoder), prompt_tokens [B, L] int64 (S3 tokens), exaggeration:
// cond_emb [B, 1 + Q + 1, D].
at::Tensor t3_conditioning(const T3ConditioningWeights& w, const at::Tensor& speaker_emb,
                           const at::Tensor& prompt_tokens, double exaggeration);

}  // namespace warmtts::chatterbox
