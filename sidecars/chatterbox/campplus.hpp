// S3Gen's CAMPPlus speaker encoder (specs/chatterbox.md §4.3, xvector.py): mean-normalised Kaldi
// fbank -> FCM head (2-D residual convs) -> CAM dense TDNN blocks -> statistics pooling ->
// x-vector. Weights are s3gen.safetensors' speaker_encoder.* tensors; widths and the number of
// layers per block are read from them.
#pragma once

#include <array>
#include <map>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "sidecars/runtime/checkpoint.hpp"

namespace warmtts::chatterbox {

using runtime::Affine;

// An eval-mode BatchNorm: "<name>.running_mean/var", and weight/bias unless affine=False.
struct BatchNormWeights {
  at::Tensor weight, bias;  // undefined for affine=False
  at::Tensor running_mean, running_var;
};

// head.layer{1,2}.{i}: BasicResBlock (2-D)
struct CampPlusResBlockWeights {
  at::Tensor conv1_weight;
  BatchNormWeights bn1;
  at::Tensor conv2_weight;
  BatchNormWeights bn2;
  at::Tensor shortcut_0_weight;  // undefined: identity shortcut
  BatchNormWeights shortcut_1;
};

// xvector.block{b}.tdnnd{k}: CAMDenseTDNNLayer
struct CamDenseLayerWeights {
  BatchNormWeights nonlinear1_batchnorm;
  at::Tensor linear1_weight;
  BatchNormWeights nonlinear2_batchnorm;
  at::Tensor cam_layer_linear_local_weight;
  Affine cam_layer_linear1, cam_layer_linear2;
};

// xvector.block{b} and the xvector.transit{b} after it
struct CamDenseBlockWeights {
  std::vector<CamDenseLayerWeights> tdnnd;
  BatchNormWeights transit_nonlinear_batchnorm;
  at::Tensor transit_linear_weight;
};

// speaker_encoder.*
struct CampPlusWeights {
  at::Tensor head_conv1_weight;
  BatchNormWeights head_bn1;
  std::vector<CampPlusResBlockWeights> head_layer1, head_layer2;
  at::Tensor head_conv2_weight;
  BatchNormWeights head_bn2;
  at::Tensor xvector_tdnn_linear_weight;
  BatchNormWeights xvector_tdnn_nonlinear_batchnorm;
  std::array<CamDenseBlockWeights, 3> xvector_blocks;
  BatchNormWeights xvector_out_nonlinear_batchnorm;
  at::Tensor xvector_dense_linear_weight;
  BatchNormWeights xvector_dense_nonlinear_batchnorm;

  // name -> tensor, with or without the "speaker_encoder." prefix.
  static CampPlusWeights load(const std::map<std::string, at::Tensor>& tensors);
};

class CampPlus {
 public:
  explicit CampPlus(CampPlusWeights weights) : w_(std::move(weights)) {}

  // wav [T] at 16 kHz -> [T_frames, 80] (Kaldi fbank minus its time mean)
  at::Tensor features(const at::Tensor& wav16) const;
  // wav [T] at 16 kHz -> x-vector [1, E]
  at::Tensor embed(const at::Tensor& wav16) const;

 private:
  CampPlusWeights w_;
};

}  // namespace warmtts::chatterbox
