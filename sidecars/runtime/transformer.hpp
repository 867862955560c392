// Transformer building blocks shared by the models (Chatterbox T3, Higgs Audio's LLM): norms,
// rotary embeddings (default and Llama-3 scaling), grouped-query attention over a preallocated
// KV cache, SwiGLU. Plain functions on tensors; weights are passed in.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

namespace warmtts::runtime {

at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps);
at::Tensor layer_norm(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                      double eps);

// y = x W^T (+ b): checkpoint Linear weights are [out, in].
at::Tensor dense(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias = {});

// down(silu(gate(x)) * up(x))
at::Tensor swiglu(const at::Tensor& x, const at::Tensor& gate_weight, const at::Tensor& up_weight,
                  const at::Tensor& down_weight);

struct RopeScaling {
  // "default" (none) or "llama3" (transformers' _compute_llama3_parameters)
  bool llama3 = false;
  double factor = 8;
  double low_freq_factor = 1;
  double high_freq_factor = 4;
  int64_t original_max_position_embeddings = 8192;
};

// inv_freq [head_dim/2] as transformers computes it (float32).
at::Tensor rope_inv_freq(int64_t head_dim, double theta, const RopeScaling& scaling);

// cos/sin tables [max_positions, head_dim] (rotate-half layout), computed once per model.
struct RopeTable {
  at::Tensor cos;
  at::Tensor sin;
  static RopeTable make(int64_t head_dim, double theta, const RopeScaling& scaling,
                        int64_t max_positions, const at::TensorOptions& options);
};

// x [B, heads, T, D] rotated for positions [start, start + T) (rotate-half, as HF Llama).
at::Tensor apply_rope(const at::Tensor& x, const RopeTable& rope, int64_t start);

// Keys and values of every layer, allocated once for `max_length` positions: decoding writes
// into it and never reallocates.
class KvCache {
 public:
  KvCache() = default;
  KvCache(int64_t layers, int64_t batch, int64_t kv_heads, int64_t max_length, int64_t head_dim,
          const at::TensorOptions& options);

  int64_t length() const { return length_; }
  int64_t capacity() const { return capacity_; }
  void reset() { length_ = 0; }
  // Forgets positions past `length` (benchmarks, retries); keeps the memory.
  void truncate(int64_t length) { length_ = std::min(length_, length); }
  // Stores k, v [B, kv_heads, T, D] of `layer` at [length, length+T); returns the whole
  // [B, kv_heads, length+T, D] views. The length advances with advance().
  std::pair<at::Tensor, at::Tensor> append(int64_t layer, const at::Tensor& k, const at::Tensor& v);
  void advance(int64_t n) { length_ += n; }

 private:
  std::vector<at::Tensor> k_, v_;
  int64_t length_ = 0;
  int64_t capacity_ = 0;
};

// Causal grouped-query attention: q [B, Hq, T, D] at positions [P, P+T) over k, v
// [B, Hkv, P+T, D]; Hq is a multiple of Hkv. Returns [B, Hq, T, D]. scale 0: 1/sqrt(D).
// With `weights`, also the attention probabilities [B, Hq, T, P+T] (for analysis features).
at::Tensor causal_gqa_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                double scale = 0, at::Tensor* weights = nullptr);

// Unmasked attention softmax(q k^T scale) v: q [B, H, Tq, D], k and v [B, H, Tk, D] ->
// [B, H, Tq, D]. On CPU each (batch, head) is one task of ATen's thread pool, its scores scaled
// inside the GEMM and normalised in place while they are in cache: batched matmul runs on one
// thread here (BLAS is single-threaded, see cpu_threads.hpp) and a [B, H, Tq, Tk] score tensor
// of a long sequence is tens of MB.
at::Tensor full_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, double scale);

}  // namespace warmtts::runtime
