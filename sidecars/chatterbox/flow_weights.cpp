#include "sidecars/chatterbox/flow_weights.hpp"

#include "sidecars/runtime/checkpoint.hpp"

namespace warmtts::chatterbox {
namespace {

// The flow's tensors, named below "flow.".
class Reader : public runtime::SubmoduleTensors {
 public:
  explicit Reader(const std::map<std::string, at::Tensor>& tensors) : SubmoduleTensors(tensors, "flow.") {}
  at::Tensor tensor(const std::string& name) const { return (*this)(name); }
};

ConformerLayerWeights conformer_layer(const Reader& r, const std::string& p) {
  ConformerLayerWeights l;
  l.self_attn.linear_q = r.affine(p + "self_attn.linear_q");
  l.self_attn.linear_k = r.affine(p + "self_attn.linear_k");
  l.self_attn.linear_v = r.affine(p + "self_attn.linear_v");
  l.self_attn.linear_out = r.affine(p + "self_attn.linear_out");
  l.self_attn.linear_pos_weight = r.tensor(p + "self_attn.linear_pos.weight");
  l.self_attn.pos_bias_u = r.tensor(p + "self_attn.pos_bias_u");
  l.self_attn.pos_bias_v = r.tensor(p + "self_attn.pos_bias_v");
  l.feed_forward_w_1 = r.affine(p + "feed_forward.w_1");
  l.feed_forward_w_2 = r.affine(p + "feed_forward.w_2");
  l.norm_mha = r.affine(p + "norm_mha");
  l.norm_ff = r.affine(p + "norm_ff");
  return l;
}

std::vector<ConformerLayerWeights> conformer_layers(const Reader& r, const std::string& p) {
  std::vector<ConformerLayerWeights> layers;
  const int n = r.count(p, ".norm_mha.weight");
  for (int i = 0; i < n; ++i) layers.push_back(conformer_layer(r, p + std::to_string(i) + "."));
  return layers;
}

CausalBlockWeights causal_block(const Reader& r, const std::string& p) {
  return {r.affine(p + "block.0"), r.affine(p + "block.2")};
}

UnetBlockWeights unet_block(const Reader& r, const std::string& p, bool with_conv) {
  UnetBlockWeights b;
  b.resnet.mlp_1 = r.affine(p + "0.mlp.1");
  b.resnet.block1 = causal_block(r, p + "0.block1.");
  b.resnet.block2 = causal_block(r, p + "0.block2.");
  b.resnet.res_conv = r.affine(p + "0.res_conv");
  const int n = r.count(p + "1.", ".norm1.weight");
  for (int i = 0; i < n; ++i) {
    const std::string q = p + "1." + std::to_string(i) + ".";
    TransformerBlockWeights t;
    t.norm1 = r.affine(q + "norm1");
    t.norm3 = r.affine(q + "norm3");
    t.attn1_to_q_weight = r.tensor(q + "attn1.to_q.weight");
    t.attn1_to_k_weight = r.tensor(q + "attn1.to_k.weight");
    t.attn1_to_v_weight = r.tensor(q + "attn1.to_v.weight");
    t.attn1_to_out_0 = r.affine(q + "attn1.to_out.0");
    t.ff_net_0_proj = r.affine(q + "ff.net.0.proj");
    t.ff_net_2 = r.affine(q + "ff.net.2");
    b.transformer_blocks.push_back(std::move(t));
  }
  if (with_conv) b.conv = r.affine(p + "2");
  return b;
}

}  // namespace

FlowWeights FlowWeights::load(const std::map<std::string, at::Tensor>& tensors) {
  const Reader r(tensors);
  FlowWeights w;
  w.input_embedding_weight = r.tensor("input_embedding.weight");
  w.spk_embed_affine_layer = r.affine("spk_embed_affine_layer");
  w.encoder_proj = r.affine("encoder_proj");

  auto& e = w.encoder;
  e.embed_out_0 = r.affine("encoder.embed.out.0");
  e.embed_out_1 = r.affine("encoder.embed.out.1");
  e.pre_lookahead_layer_conv1 = r.affine("encoder.pre_lookahead_layer.conv1");
  e.pre_lookahead_layer_conv2 = r.affine("encoder.pre_lookahead_layer.conv2");
  e.encoders = conformer_layers(r, "encoder.encoders.");
  e.up_layer_conv = r.affine("encoder.up_layer.conv");
  e.up_embed_out_0 = r.affine("encoder.up_embed.out.0");
  e.up_embed_out_1 = r.affine("encoder.up_embed.out.1");
  e.up_encoders = conformer_layers(r, "encoder.up_encoders.");
  e.after_norm = r.affine("encoder.after_norm");
  if (e.encoders.empty() || e.up_encoders.empty())
    throw std::runtime_error("no tensor flow.encoder.encoders.0.* / up_encoders.0.* in the checkpoint");

  auto& d = w.estimator;
  const std::string p = "decoder.estimator.";
  d.time_mlp_linear_1 = r.affine(p + "time_mlp.linear_1");
  d.time_mlp_linear_2 = r.affine(p + "time_mlp.linear_2");
  d.down_block = unet_block(r, p + "down_blocks.0.", true);
  const int mid = r.count(p + "mid_blocks.", ".0.res_conv.weight");
  for (int i = 0; i < mid; ++i)
    d.mid_blocks.push_back(unet_block(r, p + "mid_blocks." + std::to_string(i) + ".", false));
  d.up_block = unet_block(r, p + "up_blocks.0.", true);
  d.final_block = causal_block(r, p + "final_block.");
  d.final_proj = r.affine(p + "final_proj");
  return w;
}

}  // namespace warmtts::chatterbox
