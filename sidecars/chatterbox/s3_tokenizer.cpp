#include "sidecars/chatterbox/s3_tokenizer.hpp"

#include <cmath>
#include <stdexcept>

#include <ATen/TensorOperators.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/constant_pad_nd.h>
#include <ATen/ops/conv1d.h>
#include <ATen/ops/gelu.h>
#include <ATen/ops/matmul.h>
#include <ATen/ops/outer.h>
#include <ATen/ops/pow.h>
#include <ATen/ops/round.h>
#include <ATen/ops/tanh.h>

#include "sidecars/runtime/dsp.hpp"
#include "sidecars/runtime/transformer.hpp"

namespace warmtts::chatterbox {
namespace {

constexpr int64_t rope_dim = 64, rope_positions = 2048, fsmn_kernel = 31;

at::Tensor rotate_half(const at::Tensor& x) {
  const int64_t half = x.size(-1) / 2;
  return at::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
}

}  // namespace

S3TokenizerWeights S3TokenizerWeights::load(const std::map<std::string, at::Tensor>& tensors) {
  const runtime::SubmoduleTensors t(tensors, "tokenizer.");
  S3TokenizerWeights w;
  w.mel_filters = t("_mel_filters");
  w.encoder_conv1 = t.affine("encoder.conv1");
  w.encoder_conv2 = t.affine("encoder.conv2");
  const int blocks = t.count("encoder.blocks.", ".attn.query.weight");
  for (int i = 0; i < blocks; ++i) {
    const std::string n = "encoder.blocks." + std::to_string(i) + ".";
    S3TokenizerBlockWeights b;
    b.attn_ln = t.affine(n + "attn_ln");
    b.attn_query = t.affine(n + "attn.query");
    b.attn_key_weight = t(n + "attn.key.weight");
    b.attn_value = t.affine(n + "attn.value");
    b.attn_out = t.affine(n + "attn.out");
    b.attn_fsmn_block_weight = t(n + "attn.fsmn_block.weight");
    b.mlp_ln = t.affine(n + "mlp_ln");
    b.mlp_0 = t.affine(n + "mlp.0");
    b.mlp_2 = t.affine(n + "mlp.2");
    w.encoder_blocks.push_back(std::move(b));
  }
  w.quantizer_codebook_project_down = t.affine("quantizer._codebook.project_down");
  return w;
}

S3Tokenizer::S3Tokenizer(S3TokenizerWeights weights) : w_(std::move(weights)) {
  const int64_t state = w_.encoder_conv1.weight.size(0);
  if (state % rope_dim != 0) throw std::runtime_error("S3 tokenizer: width is not a multiple of 64");
  heads_ = state / rope_dim;  // the reference's RoPE table is for 64-wide heads
  // precompute_freqs_cis(64, 2048): angles duplicated over both halves (rotate-half layout).
  auto inv = 1.0 / at::pow(10000.0, at::arange(0, rope_dim, 2, at::TensorOptions().dtype(at::kLong)).to(at::kFloat) /
                                        static_cast<double>(rope_dim));
  auto freqs = at::outer(at::arange(rope_positions, at::TensorOptions().dtype(at::kLong)).to(at::kFloat), inv);
  auto angles = at::cat({freqs, freqs}, -1);
  cos_ = angles.cos();
  sin_ = angles.sin();
}

at::Tensor S3Tokenizer::log_mel(const at::Tensor& wav16) const {
  return runtime::whisper_log_mel(wav16, w_.mel_filters);
}

at::Tensor S3Tokenizer::block(const at::Tensor& x, const S3TokenizerBlockWeights& w) const {
  using runtime::dense;
  const int64_t len = x.size(0), d = x.size(1), hd = d / heads_;
  auto h = runtime::layer_norm(x, w.attn_ln.weight, w.attn_ln.bias, 1e-5);
  auto q = dense(h, w.attn_query.weight, w.attn_query.bias).view({len, heads_, hd});
  auto k = dense(h, w.attn_key_weight).view({len, heads_, hd});
  auto v = dense(h, w.attn_value.weight, w.attn_value.bias);
  auto cos = cos_.narrow(0, 0, len).unsqueeze(1), sin = sin_.narrow(0, 0, len).unsqueeze(1);
  q = q * cos + rotate_half(q) * sin;
  k = k * cos + rotate_half(k) * sin;
  // FSMN memory: a depthwise conv over time on the values, plus the values.
  auto vt = at::constant_pad_nd(v.t().unsqueeze(0), {(fsmn_kernel - 1) / 2, fsmn_kernel - 1 - (fsmn_kernel - 1) / 2}, 0);
  auto memory = at::conv1d(vt, w.attn_fsmn_block_weight, at::Tensor(), at::IntArrayRef{1},
                           at::IntArrayRef{0}, at::IntArrayRef{1}, d).squeeze(0).t() + v;
  const double scale = std::pow(static_cast<double>(hd), -0.25);  // on q and on k
  auto qh = q.permute({1, 0, 2}) * scale, kh = k.permute({1, 0, 2}) * scale;
  auto vh = v.view({len, heads_, hd}).permute({1, 0, 2});
  auto probs = at::matmul(qh, kh.transpose(-1, -2)).softmax(-1);
  auto attn = at::matmul(probs, vh).permute({1, 0, 2}).reshape({len, d});
  auto out = x + dense(attn, w.attn_out.weight, w.attn_out.bias) + memory;
  h = runtime::layer_norm(out, w.mlp_ln.weight, w.mlp_ln.bias, 1e-5);
  h = dense(at::gelu(dense(h, w.mlp_0.weight, w.mlp_0.bias)), w.mlp_2.weight, w.mlp_2.bias);
  return out + h;
}

at::Tensor S3Tokenizer::encode(const at::Tensor& mel) const {
  auto x = at::gelu(at::conv1d(mel.unsqueeze(0), w_.encoder_conv1.weight, w_.encoder_conv1.bias, {2}, {1}));
  x = at::gelu(at::conv1d(x, w_.encoder_conv2.weight, w_.encoder_conv2.bias, {2}, {1}));
  x = x.squeeze(0).t();  // [T/4, D]
  for (const auto& b : w_.encoder_blocks) x = block(x, b);
  return x;
}

at::Tensor S3Tokenizer::tokenize(const at::Tensor& wav16, int64_t max_len) const {
  auto mel = log_mel(wav16);
  if (max_len > 0 && mel.size(1) > 4 * max_len) mel = mel.narrow(1, 0, 4 * max_len);
  // FSQ: 8 projected values, each rounded to {-1, 0, 1}, read as base-3 digits.
  auto h = at::tanh(runtime::dense(encode(mel), w_.quantizer_codebook_project_down.weight,
                                   w_.quantizer_codebook_project_down.bias));
  h = at::round(h * 0.9990000128746033) + 1;
  auto powers = at::pow(3.0, at::arange(8, at::TensorOptions().dtype(at::kLong)).to(at::kFloat));
  return (h * powers).sum(-1).to(at::kLong);
}

}  // namespace warmtts::chatterbox
