// S3Gen's HiFT vocoder (specs/chatterbox.md §6, hifigan.py HiFTGenerator): F0 predictor, the
// neural source filter, and the iSTFT HiFi-GAN that turns an 80-bin 50 Hz mel into 24 kHz audio.
// Weights are s3gen.safetensors' mel2wav.* tensors (weight norm folded at load).
#pragma once

#include <map>
#include <string>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include "sidecars/runtime/checkpoint.hpp"

namespace warmtts::chatterbox {

class Hift {
 public:
  // `tensors`: name -> tensor, with or without the "mel2wav." prefix; weight-norm pairs are
  // folded here.
  explicit Hift(std::map<std::string, at::Tensor> tensors);

  // mel [B, 80, T] -> F0 in Hz [B, T] (ConvRNNF0Predictor)
  at::Tensor predict_f0(const at::Tensor& mel) const;
  // F0 [B, T] -> the harmonic source [B, 1, T * 480] (random phases and noise from `gen`,
  // drawn in the reference's order)
  at::Tensor source(const at::Tensor& f0, at::Generator& gen) const;
  // mel [B, 80, T] and source [B, 1, T * 480] -> audio [B, T * 480] in [-0.99, 0.99]
  at::Tensor decode(const at::Tensor& mel, const at::Tensor& source) const;
  // predict_f0, source, decode
  at::Tensor synthesize(const at::Tensor& mel, at::Generator& gen) const;

 private:
  const at::Tensor& t(const std::string& name) const;
  at::Tensor conv(const at::Tensor& x, const std::string& name, int64_t stride, int64_t padding,
                  int64_t dilation = 1) const;
  at::Tensor resblock(const at::Tensor& x, const std::string& name, int64_t kernel) const;

  runtime::SubmoduleTensors w_;
};

}  // namespace warmtts::chatterbox
