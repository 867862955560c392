#include "sidecars/runtime/transformer.hpp"

#include <cmath>
#include <stdexcept>

#include <ATen/Parallel.h>

#include <ATen/TensorOperators.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/full.h>
#include <ATen/ops/layer_norm.h>
#include <ATen/ops/linear.h>
#include <ATen/ops/matmul.h>
#include <ATen/ops/mm.h>
#include <ATen/ops/mv.h>
#include <ATen/ops/outer.h>
#include <ATen/ops/ones.h>
#include <ATen/ops/silu.h>
#include <ATen/ops/where.h>

namespace warmtts::runtime {

at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps) {
  // As transformers' LlamaRMSNorm: in float32, then back to the input dtype, then the weight.
  auto h = x.to(at::kFloat);
  auto variance = h.pow(2).mean({-1}, /*keepdim=*/true);
  h = h * (variance + eps).rsqrt();
  return weight * h.to(x.scalar_type());
}

at::Tensor layer_norm(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                      double eps) {
  return at::layer_norm(x, {x.size(-1)}, weight, bias, eps);
}

at::Tensor dense(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
  if (!x.device().is_cpu() || at::get_num_threads() == 1)
    return at::linear(x, weight, bias.defined() ? c10::optional<at::Tensor>(bias) : c10::nullopt);
  // On CPU, split the output features over ATen's threads, each calling single-threaded BLAS
  // (see cpu_threads.hpp): for decoding's few rows this is a matrix-vector product per row,
  // which OpenBLAS does ~4x faster than the NT-GEMM at::linear picks (bench/llama_decode).
  const int64_t in = x.size(-1), rows = x.numel() / in, out = weight.size(0);
  auto x2 = x.reshape({rows, in}).contiguous();
  auto yt = at::empty({out, rows}, x.options());  // y transposed: each chunk is contiguous
  const int64_t chunks = at::get_num_threads();
  at::parallel_for(0, chunks, 1, [&](int64_t first, int64_t last) {
    for (int64_t c = first; c < last; ++c) {
      const int64_t begin = out * c / chunks, end = out * (c + 1) / chunks;
      if (end == begin) continue;
      auto w = weight.narrow(0, begin, end - begin);
      auto dst = yt.narrow(0, begin, end - begin);
      if (rows <= 4) {
        auto tmp = at::empty({end - begin}, x.options());
        for (int64_t r = 0; r < rows; ++r) dst.select(1, r).copy_(at::mv_out(tmp, w, x2[r]));
      } else {
        at::mm_out(dst, w, x2.t());
      }
    }
  });
  std::vector<int64_t> shape(x.sizes().begin(), x.sizes().end());
  shape.back() = out;
  auto y = yt.t().reshape(shape);
  return bias.defined() ? y + bias : y;
}

at::Tensor swiglu(const at::Tensor& x, const at::Tensor& gate_weight, const at::Tensor& up_weight,
                  const at::Tensor& down_weight) {
  return dense(at::silu(dense(x, gate_weight)) * dense(x, up_weight), down_weight);
}

at::Tensor rope_inv_freq(int64_t head_dim, double theta, const RopeScaling& s) {
  auto opts = at::TensorOptions().dtype(at::kFloat);
  auto exponents = at::arange(0, head_dim, 2, at::TensorOptions().dtype(at::kLong)).to(at::kFloat) /
                   static_cast<double>(head_dim);
  auto inv_freq = 1.0 / at::full({1}, theta, opts).pow(exponents);
  if (!s.llama3) return inv_freq;
  const double old_len = static_cast<double>(s.original_max_position_embeddings);
  const double low_wavelen = old_len / s.low_freq_factor;
  const double high_wavelen = old_len / s.high_freq_factor;
  auto wavelen = 2 * M_PI / inv_freq;
  auto scaled = at::where(wavelen > low_wavelen, inv_freq / s.factor, inv_freq);
  auto smooth = (old_len / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
  auto smoothed = (1 - smooth) * scaled / s.factor + smooth * scaled;
  auto medium = (wavelen >= high_wavelen).logical_and(wavelen <= low_wavelen);
  return at::where(medium, smoothed, scaled);
}

RopeTable RopeTable::make(int64_t head_dim, double theta, const RopeScaling& scaling,
                          int64_t max_positions, const at::TensorOptions& options) {
  auto inv_freq = rope_inv_freq(head_dim, theta, scaling);
  auto positions = at::arange(max_positions, at::TensorOptions().dtype(at::kLong)).to(at::kFloat);
  auto freqs = at::outer(positions, inv_freq);  // [P, D/2], same products as HF's matmul
  auto emb = at::cat({freqs, freqs}, -1);
  return RopeTable{emb.cos().to(options), emb.sin().to(options)};
}

at::Tensor apply_rope(const at::Tensor& x, const RopeTable& rope, int64_t start) {
  const int64_t t = x.size(2), half = x.size(3) / 2;
  if (start + t > rope.cos.size(0))
    throw std::runtime_error("position " + std::to_string(start + t) + " is past the " +
                             std::to_string(rope.cos.size(0)) + " positions the model supports");
  auto cos = rope.cos.narrow(0, start, t);  // broadcast over [B, H]
  auto sin = rope.sin.narrow(0, start, t);
  auto rotated = at::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
  return x * cos + rotated * sin;
}

KvCache::KvCache(int64_t layers, int64_t batch, int64_t kv_heads, int64_t max_length,
                 int64_t head_dim, const at::TensorOptions& options)
    : capacity_(max_length) {
  for (int64_t i = 0; i < layers; ++i) {
    k_.push_back(at::empty({batch, kv_heads, max_length, head_dim}, options));
    v_.push_back(at::empty({batch, kv_heads, max_length, head_dim}, options));
  }
}

std::pair<at::Tensor, at::Tensor> KvCache::append(int64_t layer, const at::Tensor& k,
                                                  const at::Tensor& v) {
  const int64_t t = k.size(2);
  if (length_ + t > capacity_)
    throw std::runtime_error("KV cache is full: " + std::to_string(length_ + t) + " positions, " +
                             std::to_string(capacity_) + " allocated");
  k_[layer].narrow(2, length_, t).copy_(k);
  v_[layer].narrow(2, length_, t).copy_(v);
  return {k_[layer].narrow(2, 0, length_ + t), v_[layer].narrow(2, 0, length_ + t)};
}

at::Tensor causal_gqa_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                double scale, at::Tensor* weights) {
  const int64_t b = q.size(0), hq = q.size(1), t = q.size(2), d = q.size(3);
  const int64_t hkv = k.size(1), s = k.size(2), groups = hq / hkv, past = s - t;
  if (scale == 0) scale = 1.0 / std::sqrt(static_cast<double>(d));
  // Query head h reads kv head h / groups: group the queries instead of copying the keys.
  auto qg = q.reshape({b, hkv, groups * t, d});
  auto scores = at::matmul(qg, k.transpose(-1, -2)) * scale;  // [B, Hkv, G*T, S]
  if (t > 1) {
    // Query i (at position past + i) sees keys 0..past + i.
    auto rows = at::arange(t, at::TensorOptions().dtype(at::kLong).device(q.device())).unsqueeze(1);
    auto cols = at::arange(s, at::TensorOptions().dtype(at::kLong).device(q.device())).unsqueeze(0);
    auto hidden = (cols > rows + past).repeat({groups, 1});  // [G*T, S]
    scores = scores.masked_fill(hidden, -std::numeric_limits<float>::infinity());
  }
  auto probs = scores.softmax(-1, at::kFloat).to(q.scalar_type());
  if (weights) *weights = probs.reshape({b, hq, t, s});
  return at::matmul(probs, v).reshape({b, hq, t, d});
}

}  // namespace warmtts::runtime
