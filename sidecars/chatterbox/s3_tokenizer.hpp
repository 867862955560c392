// Chatterbox's S3 speech tokenizer, speech_tokenizer_v2_25hz (specs/chatterbox.md §4.2): a
// Whisper-style log-mel, two strided convolutions, FSMN attention blocks with RoPE, and FSQ to
// 3^8 codes at 25 tokens per second. Weights: s3gen.safetensors' tokenizer.* (mel filters too).
#pragma once

#include <map>
#include <string>

#include <ATen/core/Tensor.h>

#include "sidecars/runtime/checkpoint.hpp"

namespace warmtts::chatterbox {

class S3Tokenizer {
 public:
  // name -> tensor, with or without the "tokenizer." prefix.
  explicit S3Tokenizer(std::map<std::string, at::Tensor> tensors);

  // wav [T] at 16 kHz -> log-mel [128, frames] (100 Hz)
  at::Tensor log_mel(const at::Tensor& wav16) const;
  // log-mel [128, frames] -> encoder output [frames / 4, D]
  at::Tensor encode(const at::Tensor& mel) const;
  // wav [T] at 16 kHz -> speech tokens [N] (int64); max_len > 0 keeps at most that many, as the
  // reference does by cutting the mel to 4 * max_len frames first.
  at::Tensor tokenize(const at::Tensor& wav16, int64_t max_len = 0) const;

 private:
  const at::Tensor& t(const std::string& name) const;
  at::Tensor block(const at::Tensor& x, const std::string& name) const;

  runtime::SubmoduleTensors w_;
  int64_t heads_ = 0;
  at::Tensor cos_, sin_;  // RoPE tables [2048, 64]
};

}  // namespace warmtts::chatterbox
