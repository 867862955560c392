#include "sidecars/runtime/llama_weights.hpp"

#include <stdexcept>

#include <nlohmann/json.hpp>

namespace warmtts::runtime {
namespace {

std::string shape_of(at::IntArrayRef s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
  return out + "]";
}

}  // namespace

LlamaConfig llama_config_from_json(const nlohmann::json& j) {
  LlamaConfig c;
  c.hidden_size = j.value("hidden_size", c.hidden_size);
  c.num_hidden_layers = j.value("num_hidden_layers", c.num_hidden_layers);
  c.num_attention_heads = j.value("num_attention_heads", c.num_attention_heads);
  c.num_key_value_heads = j.value("num_key_value_heads", c.num_attention_heads);
  c.head_dim = j.value("head_dim", c.hidden_size / c.num_attention_heads);
  c.intermediate_size = j.value("intermediate_size", c.intermediate_size);
  c.rms_norm_eps = j.value("rms_norm_eps", c.rms_norm_eps);
  c.rope_theta = j.value("rope_theta", c.rope_theta);
  c.max_position_embeddings = j.value("max_position_embeddings", c.max_position_embeddings);
  c.rope_scaling = RopeScaling{};
  if (j.contains("rope_scaling") && j["rope_scaling"].is_object()) {
    const auto& r = j["rope_scaling"];
    std::string type = r.value("rope_type", r.value("type", std::string("default")));
    if (type == "llama3") {
      c.rope_scaling.llama3 = true;
      c.rope_scaling.factor = r.value("factor", 8.0);
      c.rope_scaling.low_freq_factor = r.value("low_freq_factor", 1.0);
      c.rope_scaling.high_freq_factor = r.value("high_freq_factor", 4.0);
      c.rope_scaling.original_max_position_embeddings =
          r.value("original_max_position_embeddings", int64_t{8192});
    } else if (type != "default") {
      throw std::runtime_error("rope_scaling type " + type + " is not supported");
    }
  }
  return c;
}

LlamaWeights load_llama_weights(const TensorLookup& lookup, const std::string& prefix,
                                const LlamaConfig& c, const at::TensorOptions& options) {
  auto take = [&](const std::string& name, std::vector<int64_t> shape) {
    at::Tensor t = lookup(prefix + name);
    if (t.sizes() != at::IntArrayRef(shape))
      throw std::runtime_error(prefix + name + " has shape " + shape_of(t.sizes()) + ", expected " +
                               shape_of(shape));
    return t.to(options).contiguous();
  };
  const int64_t h = c.hidden_size, q = c.num_attention_heads * c.head_dim,
                kv = c.num_key_value_heads * c.head_dim, f = c.intermediate_size;
  LlamaWeights w;
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    const std::string p = "layers." + std::to_string(i) + ".";
    LlamaLayerWeights l;
    l.input_layernorm_weight = take(p + "input_layernorm.weight", {h});
    l.self_attn_q_proj_weight = take(p + "self_attn.q_proj.weight", {q, h});
    l.self_attn_k_proj_weight = take(p + "self_attn.k_proj.weight", {kv, h});
    l.self_attn_v_proj_weight = take(p + "self_attn.v_proj.weight", {kv, h});
    l.self_attn_o_proj_weight = take(p + "self_attn.o_proj.weight", {h, q});
    l.post_attention_layernorm_weight = take(p + "post_attention_layernorm.weight", {h});
    l.mlp_gate_proj_weight = take(p + "mlp.gate_proj.weight", {f, h});
    l.mlp_up_proj_weight = take(p + "mlp.up_proj.weight", {f, h});
    l.mlp_down_proj_weight = take(p + "mlp.down_proj.weight", {h, f});
    w.layers.push_back(std::move(l));
  }
  w.norm_weight = take("norm.weight", {h});
  return w;
}

}  // namespace warmtts::runtime
