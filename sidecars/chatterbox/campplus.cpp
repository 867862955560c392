#include "sidecars/chatterbox/campplus.hpp"

#include <stdexcept>

#include <ATen/TensorOperators.h>
#include <ATen/ops/avg_pool1d.h>
#include <ATen/ops/batch_norm.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/conv1d.h>
#include <ATen/ops/conv2d.h>
#include <ATen/ops/relu.h>
#include <ATen/ops/sigmoid.h>

#include "sidecars/runtime/dsp.hpp"

namespace warmtts::chatterbox {
namespace {

// CAMPPlus's three dense blocks: kernel 3, dilations 1, 2, 2.
constexpr int64_t block_dilations[] = {1, 2, 2};

// CAMLayer.seg_pooling: mean over 100-frame segments (ceil mode), each repeated back to frames.
at::Tensor segment_pooling(const at::Tensor& x) {
  const int64_t seg = 100, frames = x.size(-1);
  auto pooled = at::avg_pool1d(x, {seg}, {seg}, {0}, /*ceil_mode=*/true);
  return pooled.repeat_interleave(seg, -1).narrow(-1, 0, frames);
}

at::Tensor batch_norm(const at::Tensor& x, const BatchNormWeights& w) {
  return at::batch_norm(x, w.weight, w.bias, w.running_mean, w.running_var, /*training=*/false, 0.1, 1e-5,
                        /*cudnn_enabled=*/false);
}

at::Tensor res_block(const at::Tensor& x, const CampPlusResBlockWeights& w, int64_t stride) {
  auto out = at::relu(batch_norm(at::conv2d(x, w.conv1_weight, {}, {stride, 1}, {1, 1}), w.bn1));
  out = batch_norm(at::conv2d(out, w.conv2_weight, {}, {1, 1}, {1, 1}), w.bn2);
  auto shortcut =
      w.shortcut_0_weight.defined() ? batch_norm(at::conv2d(x, w.shortcut_0_weight, {}, {stride, 1}), w.shortcut_1) : x;
  return at::relu(out + shortcut);
}

// Reads speaker_encoder.* into the structs.
struct Reader : runtime::SubmoduleTensors {
  explicit Reader(const std::map<std::string, at::Tensor>& t) : SubmoduleTensors(t, "speaker_encoder.") {}
  BatchNormWeights bn(const std::string& name) const {
    // affine=False BatchNorms (the last one) have running statistics only.
    return {has(name + ".weight") ? (*this)(name + ".weight") : at::Tensor(),
            has(name + ".bias") ? (*this)(name + ".bias") : at::Tensor(), (*this)(name + ".running_mean"),
            (*this)(name + ".running_var")};
  }
  std::vector<CampPlusResBlockWeights> res_blocks(const std::string& layer) const {
    std::vector<CampPlusResBlockWeights> blocks;
    for (int i = 0, n = count(layer + ".", ".conv1.weight"); i < n; ++i) {
      const std::string b = layer + "." + std::to_string(i);
      blocks.push_back({(*this)(b + ".conv1.weight"), bn(b + ".bn1"), (*this)(b + ".conv2.weight"), bn(b + ".bn2"),
                        has(b + ".shortcut.0.weight") ? (*this)(b + ".shortcut.0.weight") : at::Tensor(),
                        has(b + ".shortcut.0.weight") ? bn(b + ".shortcut.1") : BatchNormWeights{}});
    }
    return blocks;
  }
};

}  // namespace

CampPlusWeights CampPlusWeights::load(const std::map<std::string, at::Tensor>& tensors) {
  const Reader t(tensors);
  CampPlusWeights w;
  w.head_conv1_weight = t("head.conv1.weight");
  w.head_bn1 = t.bn("head.bn1");
  w.head_layer1 = t.res_blocks("head.layer1");
  w.head_layer2 = t.res_blocks("head.layer2");
  w.head_conv2_weight = t("head.conv2.weight");
  w.head_bn2 = t.bn("head.bn2");
  w.xvector_tdnn_linear_weight = t("xvector.tdnn.linear.weight");
  w.xvector_tdnn_nonlinear_batchnorm = t.bn("xvector.tdnn.nonlinear.batchnorm");
  for (size_t b = 0; b < 3; ++b) {
    const std::string block = "xvector.block" + std::to_string(b + 1);
    auto& out = w.xvector_blocks[b];
    for (int k = 1; t.has(block + ".tdnnd" + std::to_string(k) + ".linear1.weight"); ++k) {  // from 1
      const std::string l = block + ".tdnnd" + std::to_string(k);
      out.tdnnd.push_back({t.bn(l + ".nonlinear1.batchnorm"), t(l + ".linear1.weight"), t.bn(l + ".nonlinear2.batchnorm"),
                           t(l + ".cam_layer.linear_local.weight"), t.affine(l + ".cam_layer.linear1"),
                           t.affine(l + ".cam_layer.linear2")});
    }
    const std::string transit = "xvector.transit" + std::to_string(b + 1);
    out.transit_nonlinear_batchnorm = t.bn(transit + ".nonlinear.batchnorm");
    out.transit_linear_weight = t(transit + ".linear.weight");
  }
  w.xvector_out_nonlinear_batchnorm = t.bn("xvector.out_nonlinear.batchnorm");
  w.xvector_dense_linear_weight = t("xvector.dense.linear.weight");
  w.xvector_dense_nonlinear_batchnorm = t.bn("xvector.dense.nonlinear.batchnorm");
  return w;
}

at::Tensor CampPlus::features(const at::Tensor& wav16) const {
  auto f = runtime::kaldi_fbank(wav16, 80);
  return f - f.mean({0}, /*keepdim=*/true);
}

at::Tensor CampPlus::embed(const at::Tensor& wav16) const {
  // FCM head over the (frequency, time) plane.
  auto x = features(wav16).t().unsqueeze(0).unsqueeze(0);  // [1, 1, 80, T]
  x = at::relu(batch_norm(at::conv2d(x, w_.head_conv1_weight, {}, {1, 1}, {1, 1}), w_.head_bn1));
  for (const auto* layer : {&w_.head_layer1, &w_.head_layer2})
    for (size_t i = 0; i < layer->size(); ++i) x = res_block(x, (*layer)[i], i == 0 ? 2 : 1);
  x = at::relu(batch_norm(at::conv2d(x, w_.head_conv2_weight, {}, {2, 1}, {1, 1}), w_.head_bn2));
  x = x.reshape({x.size(0), x.size(1) * x.size(2), x.size(3)});  // [1, C*F/8, T]

  x = at::conv1d(x, w_.xvector_tdnn_linear_weight, {}, {2}, {2});
  x = at::relu(batch_norm(x, w_.xvector_tdnn_nonlinear_batchnorm));
  for (size_t b = 0; b < 3; ++b) {
    const auto& block = w_.xvector_blocks[b];
    const int64_t d = block_dilations[b];
    for (const auto& l : block.tdnnd) {
      auto h = at::conv1d(at::relu(batch_norm(x, l.nonlinear1_batchnorm)), l.linear1_weight);
      h = at::relu(batch_norm(h, l.nonlinear2_batchnorm));
      // CAM: a local conv gated by a context of the utterance mean plus segment means.
      auto y = at::conv1d(h, l.cam_layer_linear_local_weight, {}, {1}, {d}, {d});
      auto context = h.mean({-1}, /*keepdim=*/true) + segment_pooling(h);
      context = at::relu(at::conv1d(context, l.cam_layer_linear1.weight, l.cam_layer_linear1.bias));
      auto gate = at::sigmoid(at::conv1d(context, l.cam_layer_linear2.weight, l.cam_layer_linear2.bias));
      x = at::cat({x, y * gate}, 1);
    }
    x = at::conv1d(at::relu(batch_norm(x, block.transit_nonlinear_batchnorm)), block.transit_linear_weight);
  }
  x = at::relu(batch_norm(x, w_.xvector_out_nonlinear_batchnorm));
  auto stats = at::cat({x.mean({-1}), x.std({-1}, /*unbiased=*/true)}, -1).unsqueeze(-1);  // [1, 2C, 1]
  auto e = at::conv1d(stats, w_.xvector_dense_linear_weight);
  return batch_norm(e, w_.xvector_dense_nonlinear_batchnorm).squeeze(-1);
}

}  // namespace warmtts::chatterbox
