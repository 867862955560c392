// S3Gen's CAMPPlus speaker encoder (specs/chatterbox.md §4.3, xvector.py): mean-normalised Kaldi
// fbank -> FCM head (2-D residual convs) -> CAM dense TDNN blocks -> statistics pooling ->
// x-vector. Weights are s3gen.safetensors' speaker_encoder.* tensors; widths and the number of
// layers per block are read from them.
#pragma once

#include <map>
#include <string>

#include <ATen/core/Tensor.h>

#include "sidecars/runtime/checkpoint.hpp"

namespace warmtts::chatterbox {

class CampPlus {
 public:
  // name -> tensor, with or without the "speaker_encoder." prefix.
  explicit CampPlus(std::map<std::string, at::Tensor> tensors);

  // wav [T] at 16 kHz -> [T_frames, 80] (Kaldi fbank minus its time mean)
  at::Tensor features(const at::Tensor& wav16) const;
  // wav [T] at 16 kHz -> x-vector [1, E]
  at::Tensor embed(const at::Tensor& wav16) const;

 private:
  const at::Tensor& t(const std::string& name) const;
  bool has(const std::string& name) const { return w_.has(name); }
  at::Tensor batch_norm(const at::Tensor& x, const std::string& name) const;
  at::Tensor res_block(const at::Tensor& x, const std::string& name, int64_t stride) const;

  runtime::SubmoduleTensors w_;
};

}  // namespace warmtts::chatterbox
