// S3Gen's HiFT vocoder (specs/chatterbox.md §6, hifigan.py HiFTGenerator): F0 predictor, the
// neural source filter, and the iSTFT HiFi-GAN that turns an 80-bin 50 Hz mel into 24 kHz audio.
// Weights are s3gen.safetensors' mel2wav.* tensors (weight norm folded at load).
#pragma once

#include <array>
#include <map>
#include <string>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include "sidecars/runtime/checkpoint.hpp"

namespace warmtts::chatterbox {

using runtime::Affine;

// ResBlock with Snake activations: convs1.{0,1,2}, convs2.{0,1,2}, activations{1,2}.{0,1,2}.alpha
struct HiftResBlockWeights {
  std::array<Affine, 3> convs1, convs2;
  std::array<at::Tensor, 3> activations1_alpha, activations2_alpha;
};

// mel2wav.*, weight-norm pairs folded into plain weights.
struct HiftWeights {
  std::array<Affine, 5> f0_predictor_condnet;  // condnet.{0,2,4,6,8}
  Affine f0_predictor_classifier;
  Affine m_source_l_linear;
  Affine conv_pre;
  std::array<Affine, 3> ups, source_downs;
  std::array<HiftResBlockWeights, 3> source_resblocks;
  std::array<HiftResBlockWeights, 9> resblocks;
  Affine conv_post;

  // name -> tensor, with or without the "mel2wav." prefix.
  static HiftWeights load(const std::map<std::string, at::Tensor>& tensors);
};

class Hift {
 public:
  explicit Hift(HiftWeights weights) : w_(std::move(weights)) {}

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
  HiftWeights w_;
};

}  // namespace warmtts::chatterbox
