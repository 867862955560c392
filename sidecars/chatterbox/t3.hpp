// T3, Chatterbox's text-to-speech-token model (specs/chatterbox.md §5): the Llama backbone over
// [conditioning | text | BOS | BOS], classifier-free guidance over a batch of two, and the
// reference's sampling loop. Weights: t3_cfg.safetensors.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include <ATen/core/Tensor.h>

#include "sidecars/runtime/llama.hpp"
#include "sidecars/runtime/safetensors_file.hpp"
#include "sidecars/runtime/sampling.hpp"
#include "sidecars/tts_engine.hpp"

namespace warmtts::chatterbox {

// SPEECH_VOCAB_SIZE: ids below are S3 speech tokens, the ones above are T3's own (start, stop).
inline constexpr int64_t s3_speech_vocab = 6561;
inline constexpr int64_t start_speech_token = 6561;
inline constexpr int64_t stop_speech_token = 6562;

struct T3Weights {
  at::Tensor text_emb_weight;            // [V_text, D]
  at::Tensor text_pos_emb_emb_weight;    // [P_text, D]
  at::Tensor speech_emb_weight;          // [V_speech, D]
  at::Tensor speech_pos_emb_emb_weight;  // [P_speech, D]
  at::Tensor speech_head_weight;         // [V_speech, D]
  runtime::LlamaWeights tfmr;            // tfmr.*

  static T3Weights load(const runtime::SafetensorsFile& t3_cfg, const runtime::LlamaConfig& config);
};

struct T3Sampling {
  double cfg_weight = 0.5;
  double temperature = 0.8;
  double min_p = 0.05;
  double top_p = 1.0;
  double repetition_penalty = 1.2;
  int64_t max_new_tokens = 1000;
};

class T3 {
 public:
  T3(T3Weights weights, runtime::LlamaConfig config);

  // Speech tokens for [START] text [STOP] (int64 ids), the conditioning from t3_conditioning()
  // [1, C, D]. The last token is the stop token when generation ended on it. cfg_weight 0 runs
  // the conditional row alone (the English reference cannot). Checks `cancel` between steps;
  // `on_token` sees each token as it is drawn (streaming).
  std::vector<int64_t> generate(const at::Tensor& cond_emb, const std::vector<int64_t>& text_tokens,
                                const T3Sampling& sampling, runtime::TokenDraw& draw,
                                const CancelToken* cancel = nullptr,
                                const std::function<void(int64_t)>& on_token = {}) const;

 private:
  at::Tensor speech_embedding(int64_t token, int64_t position, int64_t batch) const;

  T3Weights w_;
  std::unique_ptr<runtime::Llama> tfmr_;
};

}  // namespace warmtts::chatterbox
