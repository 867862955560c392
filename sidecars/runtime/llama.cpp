#include "sidecars/runtime/llama.hpp"

#include <ATen/TensorOperators.h>
#include <ATen/ops/linear.h>

namespace warmtts::runtime {

Llama::Llama(LlamaWeights weights, LlamaConfig config, int64_t max_positions,
             const at::TensorOptions& options)
    : w_(std::move(weights)),
      config_(config),
      rope_(RopeTable::make(config.head_dim, config.rope_theta, config.rope_scaling, max_positions,
                            options)),
      options_(options) {}

KvCache Llama::make_cache(int64_t batch, int64_t max_length) const {
  return KvCache(config_.num_hidden_layers, batch, config_.num_key_value_heads, max_length,
                 config_.head_dim, options_);
}

at::Tensor Llama::forward(const at::Tensor& inputs_embeds, KvCache& cache,
                          std::vector<at::Tensor>* attentions) const {
  const int64_t b = inputs_embeds.size(0), t = inputs_embeds.size(1);
  const int64_t hq = config_.num_attention_heads, hkv = config_.num_key_value_heads,
                d = config_.head_dim;
  const int64_t start = cache.length();
  at::Tensor x = inputs_embeds;
  for (size_t i = 0; i < w_.layers.size(); ++i) {
    const auto& l = w_.layers[i];
    auto h = rms_norm(x, l.input_layernorm_weight, config_.rms_norm_eps);
    auto q = dense(h, l.self_attn_q_proj_weight).view({b, t, hq, d}).transpose(1, 2);
    auto k = dense(h, l.self_attn_k_proj_weight).view({b, t, hkv, d}).transpose(1, 2);
    auto v = dense(h, l.self_attn_v_proj_weight).view({b, t, hkv, d}).transpose(1, 2);
    q = apply_rope(q, rope_, start).contiguous();
    k = apply_rope(k, rope_, start);
    auto [keys, values] = cache.append(static_cast<int64_t>(i), k, v);
    at::Tensor weights;
    auto attn = causal_gqa_attention(q, keys, values, 0, attentions ? &weights : nullptr);
    if (attentions) attentions->push_back(weights);
    attn = attn.transpose(1, 2).reshape({b, t, hq * d});
    x = x + dense(attn, l.self_attn_o_proj_weight);
    h = rms_norm(x, l.post_attention_layernorm_weight, config_.rms_norm_eps);
    x = x + swiglu(h, l.mlp_gate_proj_weight, l.mlp_up_proj_weight, l.mlp_down_proj_weight);
  }
  cache.advance(t);
  return rms_norm(x, w_.norm_weight, config_.rms_norm_eps);
}

}  // namespace warmtts::runtime
