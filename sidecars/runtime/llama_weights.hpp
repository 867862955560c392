// A Llama decoder's weights, one member per checkpoint tensor (transformers' LlamaModel names),
// and its dimensions as data. Loading is here; the forward pass is in llama.hpp.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json_fwd.hpp>

#include "sidecars/runtime/transformer.hpp"

namespace warmtts::runtime {

struct LlamaConfig {
  int64_t hidden_size = 1024;
  int64_t num_hidden_layers = 30;
  int64_t num_attention_heads = 16;
  int64_t num_key_value_heads = 16;
  int64_t head_dim = 64;
  int64_t intermediate_size = 4096;
  double rms_norm_eps = 1e-5;
  double rope_theta = 500000;
  RopeScaling rope_scaling;  // llama3 for Chatterbox T3 and Higgs
  int64_t max_position_embeddings = 131072;
};

// Reads a transformers config.json (LlamaConfig fields; missing ones keep their defaults).
LlamaConfig llama_config_from_json(const nlohmann::json& config);

// layers.{i}.*
struct LlamaLayerWeights {
  at::Tensor input_layernorm_weight;           // input_layernorm.weight [H]
  at::Tensor self_attn_q_proj_weight;          // self_attn.q_proj.weight [Hq*D, H]
  at::Tensor self_attn_k_proj_weight;          // self_attn.k_proj.weight [Hkv*D, H]
  at::Tensor self_attn_v_proj_weight;          // self_attn.v_proj.weight [Hkv*D, H]
  at::Tensor self_attn_o_proj_weight;          // self_attn.o_proj.weight [H, Hq*D]
  at::Tensor post_attention_layernorm_weight;  // post_attention_layernorm.weight [H]
  at::Tensor mlp_gate_proj_weight;             // mlp.gate_proj.weight [F, H]
  at::Tensor mlp_up_proj_weight;               // mlp.up_proj.weight [F, H]
  at::Tensor mlp_down_proj_weight;             // mlp.down_proj.weight [H, F]
};

struct LlamaWeights {
  std::vector<LlamaLayerWeights> layers;
  at::Tensor norm_weight;          // norm.weight [H]
  at::Tensor embed_tokens_weight;  // embed_tokens.weight [V, H] (unused when embeddings are given)
};

// Returns the named checkpoint tensor; throws when it is missing.
using TensorLookup = std::function<at::Tensor(const std::string& name)>;

// Reads `prefix` + transformers' names ("tfmr." for Chatterbox T3, "" for Higgs), checks every
// shape against `config`, and moves the tensors to `options` (device and dtype) in one pass.
LlamaWeights load_llama_weights(const TensorLookup& lookup, const std::string& prefix,
                                const LlamaConfig& config, const at::TensorOptions& options);

}  // namespace warmtts::runtime
