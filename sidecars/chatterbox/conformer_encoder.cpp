#include "sidecars/chatterbox/conformer_encoder.hpp"

#include <cmath>

#include <ATen/TensorOperators.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/constant_pad_nd.h>
#include <ATen/ops/conv1d.h>
#include <ATen/ops/cos.h>
#include <ATen/ops/exp.h>
#include <ATen/ops/leaky_relu.h>
#include <ATen/ops/matmul.h>
#include <ATen/ops/mm.h>
#include <ATen/ops/repeat_interleave.h>
#include <ATen/ops/silu.h>
#include <ATen/ops/sin.h>
#include <ATen/ops/softmax.h>
#include <ATen/ops/zeros.h>

#include "sidecars/runtime/parallel.hpp"
#include "sidecars/runtime/transformer.hpp"

namespace warmtts::chatterbox {
namespace {

using runtime::dense;
using runtime::layer_norm;

constexpr double conformer_norm_eps = 1e-12;  // ConformerEncoderLayer's LayerNorms
constexpr double embed_norm_eps = 1e-5;       // LinearNoSubsampling and after_norm
constexpr int64_t lookahead = 3;              // PreLookaheadLayer(pre_lookahead_len=3)
constexpr int64_t upsample_stride = 2;        // Upsample1D(stride=2)

at::Tensor conv(const at::Tensor& x, const Affine& a) { return at::conv1d(x, a.weight, a.bias); }

// LinearNoSubsampling + EspnetRelPositionalEncoding's scaling: Linear -> LayerNorm -> x sqrt(D)
at::Tensor embed(const at::Tensor& x, const Affine& linear, const Affine& norm) {
  auto h = layer_norm(dense(x, linear.weight, linear.bias), norm.weight, norm.bias, embed_norm_eps);
  return h * std::sqrt(static_cast<double>(h.size(-1)));
}

// Transformer-XL's shift: scores against relative positions [.., T, 2T-1] -> [.., T, T]
at::Tensor rel_shift(const at::Tensor& x) {
  const int64_t b = x.size(0), h = x.size(1), t1 = x.size(2), t2 = x.size(3);
  auto padded = at::cat({at::zeros({b, h, t1, 1}, x.options()), x}, -1).view({b, h, t2 + 1, t1});
  return padded.slice(2, 1).reshape({b, h, t1, t2}).slice(3, 0, t2 / 2 + 1);
}

at::Tensor rel_attention(const at::Tensor& x, const at::Tensor& pos, const RelAttentionWeights& w) {
  const int64_t b = x.size(0), t = x.size(1), heads = w.pos_bias_u.size(0), dk = w.pos_bias_u.size(1);
  auto split = [&](const at::Tensor& y) { return y.view({b, -1, heads, dk}); };  // [B, T, H, dk]
  auto q = split(dense(x, w.linear_q.weight, w.linear_q.bias));
  auto k = split(dense(x, w.linear_k.weight, w.linear_k.bias));
  auto v = split(dense(x, w.linear_v.weight, w.linear_v.bias));
  auto p = split(dense(pos, w.linear_pos_weight));  // [1, 2T-1, H, dk]
  if (x.device().is_cpu() && at::get_num_threads() > 1) {
    // One (batch, head) per task of the pool, its [T, T] scores in cache (batched matmul runs
    // on one thread here); the same operations in the same order as below.
    auto out = at::empty({b, t, heads, dk}, x.options());
    runtime::parallel_for(0, b * heads, 1, [&](int64_t first, int64_t last) {
      for (int64_t i = first; i < last; ++i) {
        const int64_t bi = i / heads, hi = i % heads;
        auto qh = q[bi].select(1, hi);
        auto scores = at::mm(qh + w.pos_bias_u[hi], k[bi].select(1, hi).t());
        auto bd = at::mm(qh + w.pos_bias_v[hi], p[0].select(1, hi).t());
        if (bd.size(1) != t) bd = rel_shift(bd.view({1, 1, t, -1})).view({t, t});
        auto probs = ((scores + bd) / std::sqrt(static_cast<double>(dk))).softmax(-1);
        auto dst = out[bi].select(1, hi);
        at::mm_out(dst, probs, v[bi].select(1, hi));
      }
    });
    return dense(out.view({b, t, heads * dk}), w.linear_out.weight, w.linear_out.bias);
  }
  auto ac = at::matmul((q + w.pos_bias_u).transpose(1, 2), k.transpose(1, 2).transpose(-2, -1));
  auto bd = at::matmul((q + w.pos_bias_v).transpose(1, 2), p.transpose(1, 2).transpose(-2, -1));
  if (bd.size(-1) != ac.size(-1)) bd = rel_shift(bd);
  auto scores = (ac + bd) / std::sqrt(static_cast<double>(dk));
  auto attn = at::matmul(at::softmax(scores, -1), v.transpose(1, 2)).transpose(1, 2).reshape({b, t, heads * dk});
  return dense(attn, w.linear_out.weight, w.linear_out.bias);
}

at::Tensor conformer_layer(const at::Tensor& x, const at::Tensor& pos, const ConformerLayerWeights& w) {
  auto h = x + rel_attention(layer_norm(x, w.norm_mha.weight, w.norm_mha.bias, conformer_norm_eps), pos, w.self_attn);
  auto n = layer_norm(h, w.norm_ff.weight, w.norm_ff.bias, conformer_norm_eps);
  auto ff = dense(at::silu(dense(n, w.feed_forward_w_1.weight, w.feed_forward_w_1.bias)),
                  w.feed_forward_w_2.weight, w.feed_forward_w_2.bias);
  return h + ff;
}

// PreLookaheadLayer: right-pad 3 -> conv(k4) -> leaky_relu -> left-pad 2 -> conv(k3), residual
at::Tensor pre_lookahead(const at::Tensor& x, const ConformerEncoderWeights& w) {
  auto h = x.transpose(1, 2);
  h = at::leaky_relu(conv(at::constant_pad_nd(h, {0, lookahead}), w.pre_lookahead_layer_conv1), 0.01);
  h = conv(at::constant_pad_nd(h, {2, 0}), w.pre_lookahead_layer_conv2);
  return h.transpose(1, 2) + x;
}

// Upsample1D: nearest x2 -> left-pad 4 -> conv(k5)
at::Tensor upsample(const at::Tensor& x, const Affine& conv_weights) {
  auto h = at::repeat_interleave(x.transpose(1, 2), upsample_stride, 2);
  h = conv(at::constant_pad_nd(h, {upsample_stride * 2, 0}), conv_weights);
  return h.transpose(1, 2);
}

}  // namespace

at::Tensor espnet_rel_positions(int64_t length, int64_t dim) {
  auto f32 = at::TensorOptions().dtype(at::kFloat);
  auto position = at::arange(0, length, f32).unsqueeze(1);
  auto div_term = at::exp(at::arange(0, dim, 2, f32) * -(std::log(10000.0) / static_cast<double>(dim)));
  auto positive = at::zeros({length, dim}, f32), negative = at::zeros({length, dim}, f32);
  positive.slice(1, 0, dim, 2).copy_(at::sin(position * div_term));
  positive.slice(1, 1, dim, 2).copy_(at::cos(position * div_term));
  negative.slice(1, 0, dim, 2).copy_(at::sin(-1 * position * div_term));
  negative.slice(1, 1, dim, 2).copy_(at::cos(-1 * position * div_term));
  return at::cat({positive.flip({0}), negative.slice(0, 1)}, 0).unsqueeze(0);
}

at::Tensor ConformerEncoder::forward(const at::Tensor& x) const {
  const int64_t dim = w_.after_norm.weight.size(0);
  auto h = embed(x, w_.embed_out_0, w_.embed_out_1);
  auto pos = espnet_rel_positions(h.size(1), dim).to(h.options());
  h = pre_lookahead(h, w_);
  for (const auto& layer : w_.encoders) h = conformer_layer(h, pos, layer);

  h = embed(upsample(h, w_.up_layer_conv), w_.up_embed_out_0, w_.up_embed_out_1);
  pos = espnet_rel_positions(h.size(1), dim).to(h.options());
  for (const auto& layer : w_.up_encoders) h = conformer_layer(h, pos, layer);
  return layer_norm(h, w_.after_norm.weight, w_.after_norm.bias, embed_norm_eps);
}

}  // namespace warmtts::chatterbox
