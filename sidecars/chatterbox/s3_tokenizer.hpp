// Chatterbox's S3 speech tokenizer, speech_tokenizer_v2_25hz (specs/chatterbox.md §4.2): a
// Whisper-style log-mel, two strided convolutions, FSMN attention blocks with RoPE, and FSQ to
// 3^8 codes at 25 tokens per second. Weights: s3gen.safetensors' tokenizer.* (mel filters too).
#pragma once

#include <map>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "sidecars/runtime/checkpoint.hpp"

namespace warmtts::chatterbox {

using runtime::Affine;

// tokenizer.encoder.blocks.{i}.*
struct S3TokenizerBlockWeights {
  Affine attn_ln;
  Affine attn_query;
  at::Tensor attn_key_weight;  // no bias
  Affine attn_value;
  Affine attn_out;
  at::Tensor attn_fsmn_block_weight;  // depthwise [D, 1, 31]
  Affine mlp_ln, mlp_0, mlp_2;
};

// tokenizer.*
struct S3TokenizerWeights {
  at::Tensor mel_filters;  // _mel_filters [128, 201]
  Affine encoder_conv1, encoder_conv2;
  std::vector<S3TokenizerBlockWeights> encoder_blocks;
  Affine quantizer_codebook_project_down;  // quantizer._codebook.project_down [8, D]

  // name -> tensor, with or without the "tokenizer." prefix.
  static S3TokenizerWeights load(const std::map<std::string, at::Tensor>& tensors);
};

class S3Tokenizer {
 public:
  explicit S3Tokenizer(S3TokenizerWeights weights);

  // wav [T] at 16 kHz -> log-mel [128, frames] (100 Hz)
  at::Tensor log_mel(const at::Tensor& wav16) const;
  // log-mel [128, frames] -> encoder output [frames / 4, D]
  at::Tensor encode(const at::Tensor& mel) const;
  // wav [T] at 16 kHz -> speech tokens [N] (int64); max_len > 0 keeps at most that many, as the
  // reference does by cutting the mel to 4 * max_len frames first.
  at::Tensor tokenize(const at::Tensor& wav16, int64_t max_len = 0) const;

 private:
  at::Tensor block(const at::Tensor& x, const S3TokenizerBlockWeights& w) const;

  S3TokenizerWeights w_;
  int64_t heads_ = 0;
  at::Tensor cos_, sin_;  // RoPE tables [2048, 64]
};

}  // namespace warmtts::chatterbox
