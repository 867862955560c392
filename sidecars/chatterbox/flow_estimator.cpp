#include "sidecars/chatterbox/flow_estimator.hpp"

#include <cmath>

#include <ATen/TensorOperators.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/constant_pad_nd.h>
#include <ATen/ops/conv1d.h>
#include <ATen/ops/cos.h>
#include <ATen/ops/exp.h>
#include <ATen/ops/gelu.h>
#include <ATen/ops/matmul.h>
#include <ATen/ops/mish.h>
#include <ATen/ops/silu.h>
#include <ATen/ops/sin.h>
#include <ATen/ops/softmax.h>

#include "sidecars/runtime/transformer.hpp"

namespace warmtts::chatterbox {
namespace {

using runtime::dense;
using runtime::layer_norm;

constexpr int64_t attention_head_dim = 64;  // ConditionalDecoder(attention_head_dim=64)
constexpr double norm_eps = 1e-5;
constexpr double time_scale = 1000;         // SinusoidalPosEmb's scale

// CausalConv1d: left-pad kernel-1, then the conv
at::Tensor causal_conv(const at::Tensor& x, const Affine& a) {
  return at::conv1d(at::constant_pad_nd(x, {a.weight.size(2) - 1, 0}), a.weight, a.bias);
}

// CausalBlock1D: causal conv -> LayerNorm over channels -> Mish
at::Tensor causal_block(const at::Tensor& x, const CausalBlockWeights& w) {
  auto h = causal_conv(x, w.block_0).transpose(1, 2);
  return at::mish(layer_norm(h, w.block_2.weight, w.block_2.bias, norm_eps).transpose(1, 2));
}

// CausalResnetBlock1D
at::Tensor resnet(const at::Tensor& x, const at::Tensor& temb, const ResnetWeights& w) {
  auto h = causal_block(x, w.block1);
  h = h + dense(at::mish(temb), w.mlp_1.weight, w.mlp_1.bias).unsqueeze(-1);
  h = causal_block(h, w.block2);
  return h + at::conv1d(x, w.res_conv.weight, w.res_conv.bias);
}

}  // namespace

FlowEstimator::FlowEstimator(const EstimatorWeights& weights)
    : w_(weights), heads_(weights.down_block.transformer_blocks.empty()
                              ? 1
                              : weights.down_block.transformer_blocks[0].attn1_to_q_weight.size(0) /
                                    attention_head_dim) {}

// SinusoidalPosEmb(320) -> Linear -> SiLU -> Linear
at::Tensor FlowEstimator::time_embedding(const at::Tensor& t) const {
  const int64_t half = w_.time_mlp_linear_1.weight.size(1) / 2;
  auto freqs = at::exp(at::arange(half, t.options()) * -(std::log(10000.0) / static_cast<double>(half - 1)));
  auto arg = time_scale * t.unsqueeze(1) * freqs.unsqueeze(0);
  auto emb = at::cat({at::sin(arg), at::cos(arg)}, -1);
  return dense(at::silu(dense(emb, w_.time_mlp_linear_1.weight, w_.time_mlp_linear_1.bias)),
               w_.time_mlp_linear_2.weight, w_.time_mlp_linear_2.bias);
}

// Pre-LN self-attention (heads of 64, scale 1/8, nothing masked) and a GELU feed-forward.
at::Tensor FlowEstimator::transformer_block(const at::Tensor& x, const TransformerBlockWeights& w) const {
  const int64_t b = x.size(0), t = x.size(1);
  auto n = layer_norm(x, w.norm1.weight, w.norm1.bias, norm_eps);
  auto heads = [&](const at::Tensor& weight) {
    return dense(n, weight).view({b, t, heads_, attention_head_dim}).transpose(1, 2);
  };
  auto q = heads(w.attn1_to_q_weight), k = heads(w.attn1_to_k_weight), v = heads(w.attn1_to_v_weight);
  auto attn = runtime::full_attention(q, k, v, 1.0 / std::sqrt(static_cast<double>(attention_head_dim)))
                  .transpose(1, 2)
                  .reshape({b, t, heads_ * attention_head_dim});
  auto h = x + dense(attn, w.attn1_to_out_0.weight, w.attn1_to_out_0.bias);
  auto n3 = layer_norm(h, w.norm3.weight, w.norm3.bias, norm_eps);
  auto ff = dense(at::gelu(dense(n3, w.ff_net_0_proj.weight, w.ff_net_0_proj.bias)), w.ff_net_2.weight,
                  w.ff_net_2.bias);
  return h + ff;
}

// resnet -> transformer blocks (over [B, T, C]) -> the level's causal conv, if it has one
at::Tensor FlowEstimator::unet_block(at::Tensor x, const at::Tensor& temb, const UnetBlockWeights& w) const {
  x = resnet(x, temb, w.resnet).transpose(1, 2).contiguous();
  for (const auto& block : w.transformer_blocks) x = transformer_block(x, block);
  return x.transpose(1, 2).contiguous();
}

at::Tensor FlowEstimator::forward(const at::Tensor& x, const at::Tensor& mu, const at::Tensor& t,
                                  const at::Tensor& spks, const at::Tensor& cond) const {
  auto temb = time_embedding(t);
  auto h = at::cat({x, mu, spks.unsqueeze(-1).expand({-1, -1, x.size(2)}), cond}, 1);

  auto skip = unet_block(h, temb, w_.down_block);
  h = causal_conv(skip, w_.down_block.conv);
  for (const auto& mid : w_.mid_blocks) h = unet_block(h, temb, mid);
  h = unet_block(at::cat({h, skip}, 1), temb, w_.up_block);
  h = causal_conv(h, w_.up_block.conv);
  h = causal_block(h, w_.final_block);
  return at::conv1d(h, w_.final_proj.weight, w_.final_proj.bias);
}

}  // namespace warmtts::chatterbox
