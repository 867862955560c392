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
#include <ATen/ops/addmm.h>
#include <ATen/ops/mm.h>
#include <ATen/ops/softmax.h>
#include <ATen/ops/_softmax.h>
#include <ATen/ops/addmv.h>
#include <ATen/ops/mv.h>
#include <ATen/ops/outer.h>
#include <ATen/ops/ones.h>
#include <ATen/ops/silu.h>
#include <ATen/ops/where.h>

#include "sidecars/runtime/parallel.hpp"

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
  // On CPU, ATen's threads each call single-threaded BLAS (see cpu_threads.hpp).
  const int64_t in = x.size(-1), rows = x.numel() / in, out = weight.size(0);
  const int64_t chunks = at::get_num_threads();
  auto x2 = x.reshape({rows, in}).contiguous();
  std::vector<int64_t> shape(x.sizes().begin(), x.sizes().end());
  shape.back() = out;
  if (rows > 256) {
    // Many rows (the S3Gen flow): each thread a block of rows against the whole weight, one
    // GEMM each, straight into y.
    auto y = at::empty({rows, out}, x.options());
    parallel_for(0, chunks, 1, [&](int64_t first, int64_t last) {
      for (int64_t c = first; c < last; ++c) {
        const int64_t begin = rows * c / chunks, end = rows * (c + 1) / chunks;
        if (end == begin) continue;
        auto dst = y.narrow(0, begin, end - begin);
        auto src = x2.narrow(0, begin, end - begin);
        if (bias.defined())
          at::addmm_out(dst, bias, src, weight.t());
        else
          at::mm_out(dst, src, weight.t());
      }
    });
    return y.view(shape);
  }
  if (rows > 4) {
    // Some rows (a prefill): each thread a block of output features against every row, written
    // transposed so that each block is contiguous (~1.4x a split by rows at 112 rows), then one
    // pass adds the bias.
    auto yt = at::empty({out, rows}, x.options());
    parallel_for(0, chunks, 1, [&](int64_t first, int64_t last) {
      for (int64_t c = first; c < last; ++c) {
        const int64_t begin = out * c / chunks, end = out * (c + 1) / chunks;
        if (end == begin) continue;
        auto dst = yt.narrow(0, begin, end - begin);
        at::mm_out(dst, weight.narrow(0, begin, end - begin), x2.t());
      }
    });
    auto y = bias.defined() ? yt.t() + bias : yt.t().contiguous();
    return y.view(shape);
  }
  // Decoding's few rows: a matrix-vector product per row, which OpenBLAS does ~4x faster than
  // the NT-GEMM at::linear picks (bench/llama_decode), over blocks of output features of about
  // 1 MB of weights: each row's product then reads the block from L2, not memory (27-31 vs
  // 18-21 GB/s for T3's matrices at batch 2). Each product lands in a slice of its row of y.
  constexpr int64_t block_floats = (1 << 20) / sizeof(float);
  const int64_t block_rows = std::max<int64_t>(1, block_floats / in);
  const int64_t blocks = (out + block_rows - 1) / block_rows;
  auto y = at::empty({rows, out}, x.options());
  parallel_for(0, blocks, 1, [&](int64_t first, int64_t last) {
    for (int64_t c = first; c < last; ++c) {
      const int64_t begin = c * block_rows, end = std::min(out, begin + block_rows);
      auto w = weight.narrow(0, begin, end - begin);
      for (int64_t r = 0; r < rows; ++r) {
        auto dst = y.select(0, r).narrow(0, begin, end - begin);
        if (bias.defined())
          at::addmv_out(dst, bias.narrow(0, begin, end - begin), w, x2.select(0, r));
        else
          at::mv_out(dst, w, x2.select(0, r));
      }
    }
  });
  return y.view(shape);
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
  at::Tensor hidden;  // [G*T, S]: query i (at position past + i) sees keys 0..past + i
  if (t > 1) {
    auto rows = at::arange(t, at::TensorOptions().dtype(at::kLong).device(q.device())).unsqueeze(1);
    auto cols = at::arange(s, at::TensorOptions().dtype(at::kLong).device(q.device())).unsqueeze(0);
    hidden = (cols > rows + past).repeat({groups, 1});
  }
  constexpr float minus_inf = -std::numeric_limits<float>::infinity();
  if (!weights && q.device().is_cpu() && at::get_num_threads() > 1) {
    // One (batch, kv head) per task, as full_attention: batched matmul runs on one thread here.
    auto out = at::empty({b, hkv, groups * t, d}, q.options());
    parallel_for(0, b * hkv, 1, [&](int64_t first, int64_t last) {
      auto scores = at::empty({groups * t, s}, q.options());
      for (int64_t i = first; i < last; ++i) {
        const int64_t bi = i / hkv, hi = i % hkv;
        at::addmm_out(scores, scores, qg[bi][hi], k[bi][hi].t(), /*beta=*/0, /*alpha=*/scale);
        if (hidden.defined()) scores.masked_fill_(hidden, minus_inf);
        at::_softmax_out(scores, scores, -1, false);
        auto dst = out[bi][hi];
        at::mm_out(dst, scores, v[bi][hi]);
      }
    });
    return out.view({b, hq, t, d});
  }
  auto scores = at::matmul(qg, k.transpose(-1, -2)) * scale;  // [B, Hkv, G*T, S]
  if (hidden.defined()) scores = scores.masked_fill(hidden, minus_inf);
  auto probs = scores.softmax(-1, at::kFloat).to(q.scalar_type());
  if (weights) *weights = probs.reshape({b, hq, t, s});
  return at::matmul(probs, v).reshape({b, hq, t, d});
}

at::Tensor full_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, double scale) {
  if (!q.device().is_cpu() || at::get_num_threads() == 1)
    return at::matmul((at::matmul(q, k.transpose(-2, -1)) * scale).softmax(-1), v);
  const int64_t b = q.size(0), h = q.size(1), tq = q.size(2), tk = k.size(2), d = v.size(3);
  // Heads are read and written in place through their strides (BLAS takes a leading
  // dimension): q, k, v as models pass them ([B, T, H, D] viewed as [B, H, T, D]) are not
  // copied, and the result is laid out [B, Tq, H, D], as the output projection wants it.
  auto out = at::empty({b, tq, h, d}, q.options());
  parallel_for(0, b * h, 1, [&](int64_t first, int64_t last) {
    auto scores = at::empty({tq, tk}, q.options());
    for (int64_t i = first; i < last; ++i) {
      const int64_t bi = i / h, hi = i % h;
      at::addmm_out(scores, scores, q[bi][hi], k[bi][hi].t(), /*beta=*/0, /*alpha=*/scale);
      at::_softmax_out(scores, scores, -1, false);
      auto dst = out.select(0, bi).select(1, hi);
      at::mm_out(dst, scores, v[bi][hi]);
    }
  });
  return out.transpose(1, 2);
}

}  // namespace warmtts::runtime
