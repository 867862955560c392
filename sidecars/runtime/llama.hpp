// The Llama decoder forward pass (transformers' LlamaModel): embeddings in, post-norm hidden
// states out, with a preallocated KV cache so that token-by-token decoding reallocates nothing.
#pragma once

#include <vector>

#include "sidecars/runtime/llama_weights.hpp"
#include "sidecars/runtime/transformer.hpp"

namespace warmtts::runtime {

class Llama {
 public:
  Llama(LlamaWeights weights, LlamaConfig config, int64_t max_positions,
        const at::TensorOptions& options);

  const LlamaConfig& config() const { return config_; }

  // A cache for `batch` sequences of up to `max_length` positions.
  KvCache make_cache(int64_t batch, int64_t max_length) const;

  // inputs_embeds [B, T, H] at positions [cache.length(), +T); appends to the cache and returns
  // the final-norm hidden states [B, T, H] (transformers' last_hidden_state). With
  // `attentions`, each layer's attention probabilities [B, Hq, T, past+T] are appended to it.
  at::Tensor forward(const at::Tensor& inputs_embeds, KvCache& cache,
                     std::vector<at::Tensor>* attentions = nullptr) const;

 private:
  LlamaWeights w_;
  LlamaConfig config_;
  RopeTable rope_;
  at::TensorOptions options_;
};

}  // namespace warmtts::runtime
