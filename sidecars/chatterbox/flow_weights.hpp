// S3Gen's token-to-mel flow (CausalMaskedDiffWithXvec) as plain weight structs, named after the
// flow.* tensors of s3gen.safetensors (specs/chatterbox.md §1.3): the upsampling conformer
// encoder and the CFM estimator (ConditionalDecoder). Depths and widths come from the tensors.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "sidecars/runtime/checkpoint.hpp"

namespace warmtts::chatterbox {

using runtime::Affine;

// RelPositionMultiHeadedAttention
struct RelAttentionWeights {
  Affine linear_q, linear_k, linear_v, linear_out;
  at::Tensor linear_pos_weight;  // no bias
  at::Tensor pos_bias_u;         // [heads, d_k]
  at::Tensor pos_bias_v;         // [heads, d_k]
};

// ConformerEncoderLayer without macaron FFN or convolution module (Chatterbox's settings)
struct ConformerLayerWeights {
  RelAttentionWeights self_attn;
  Affine feed_forward_w_1, feed_forward_w_2;
  Affine norm_mha, norm_ff;
};

// UpsampleConformerEncoder
struct ConformerEncoderWeights {
  Affine embed_out_0, embed_out_1;  // Linear, LayerNorm
  Affine pre_lookahead_layer_conv1, pre_lookahead_layer_conv2;
  std::vector<ConformerLayerWeights> encoders;
  Affine up_layer_conv;
  Affine up_embed_out_0, up_embed_out_1;
  std::vector<ConformerLayerWeights> up_encoders;
  Affine after_norm;
};

// CausalBlock1D: block.0 causal conv, block.2 LayerNorm over channels
struct CausalBlockWeights {
  Affine block_0, block_2;
};

// CausalResnetBlock1D
struct ResnetWeights {
  Affine mlp_1;  // time embedding -> per-channel bias
  CausalBlockWeights block1, block2;
  Affine res_conv;
};

// BasicTransformerBlock (diffusers style, self-attention only)
struct TransformerBlockWeights {
  Affine norm1, norm3;
  at::Tensor attn1_to_q_weight, attn1_to_k_weight, attn1_to_v_weight;  // no bias
  Affine attn1_to_out_0;
  Affine ff_net_0_proj, ff_net_2;
};

// One level of the U-Net: resnet, transformer blocks and (down/up levels) a causal conv.
struct UnetBlockWeights {
  ResnetWeights resnet;
  std::vector<TransformerBlockWeights> transformer_blocks;
  Affine conv;  // down_blocks.0.2 / up_blocks.0.2; undefined for mid blocks
};

// ConditionalDecoder (flow.decoder.estimator.*)
struct EstimatorWeights {
  Affine time_mlp_linear_1, time_mlp_linear_2;
  UnetBlockWeights down_block;
  std::vector<UnetBlockWeights> mid_blocks;
  UnetBlockWeights up_block;
  CausalBlockWeights final_block;
  Affine final_proj;
};

struct FlowWeights {
  at::Tensor input_embedding_weight;  // [speech_vocab, D]
  Affine spk_embed_affine_layer;      // [mels, xvector]
  ConformerEncoderWeights encoder;
  Affine encoder_proj;                // [mels, D]
  EstimatorWeights estimator;

  // `tensors`: s3gen.safetensors' tensors (with their "flow." prefix or without it), float32.
  // Throws naming the first missing tensor.
  static FlowWeights load(const std::map<std::string, at::Tensor>& tensors);
};

}  // namespace warmtts::chatterbox
