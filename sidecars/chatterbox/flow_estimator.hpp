// S3Gen's CFM estimator, ConditionalDecoder (specs/chatterbox.md §6.4): a one-level 1-D U-Net of
// causal resnet blocks and full-attention transformer blocks that predicts the flow velocity
// from [x_t | mu | speaker | prompt mel] and the time t. Batch rows are independent (the CFG
// batch), none is padded.
#pragma once

#include <ATen/core/Tensor.h>

#include "sidecars/chatterbox/flow_weights.hpp"

namespace warmtts::chatterbox {

class FlowEstimator {
 public:
  explicit FlowEstimator(const EstimatorWeights& weights);

  // x, mu, cond [B, 80, T], t [B], spks [B, 80] -> velocity [B, 80, T]
  at::Tensor forward(const at::Tensor& x, const at::Tensor& mu, const at::Tensor& t,
                     const at::Tensor& spks, const at::Tensor& cond) const;

 private:
  at::Tensor time_embedding(const at::Tensor& t) const;
  at::Tensor unet_block(at::Tensor x, const at::Tensor& temb, const UnetBlockWeights& w) const;
  at::Tensor transformer_block(const at::Tensor& x, const TransformerBlockWeights& w) const;

  const EstimatorWeights& w_;
  int64_t heads_;
};

}  // namespace warmtts::chatterbox
