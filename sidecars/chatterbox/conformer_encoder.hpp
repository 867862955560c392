// S3Gen's UpsampleConformerEncoder (specs/chatterbox.md §6.2): speech-token embeddings at 25 Hz
// -> pre-lookahead convs -> conformer layers with relative-position attention -> nearest x2
// upsampling with a causal conv -> conformer layers at 50 Hz. Attention is bidirectional over
// the whole (prompt + generated) sequence; batch 1, no padding.
#pragma once

#include <ATen/core/Tensor.h>

#include "sidecars/chatterbox/flow_weights.hpp"

namespace warmtts::chatterbox {

class ConformerEncoder {
 public:
  explicit ConformerEncoder(const ConformerEncoderWeights& weights) : w_(weights) {}

  // x [1, T, D] -> [1, 2T, D]
  at::Tensor forward(const at::Tensor& x) const;

 private:
  const ConformerEncoderWeights& w_;
};

// ESPnet's relative positional table for T positions: [1, 2T-1, D], relative positions
// T-1 ... -(T-1), sin at even and cos at odd dims (EspnetRelPositionalEncoding).
at::Tensor espnet_rel_positions(int64_t length, int64_t dim);

}  // namespace warmtts::chatterbox
