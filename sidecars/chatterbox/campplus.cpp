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

}  // namespace

CampPlus::CampPlus(std::map<std::string, at::Tensor> tensors)
    : w_(std::move(tensors), "speaker_encoder.") {
  if (!has("head.conv1.weight")) throw std::runtime_error("CAMPPlus: no speaker_encoder.head.conv1.weight");
}

const at::Tensor& CampPlus::t(const std::string& name) const { return w_(name); }

at::Tensor CampPlus::batch_norm(const at::Tensor& x, const std::string& name) const {
  // affine=False BatchNorms (the last one) have running statistics only.
  at::Tensor weight = has(name + ".weight") ? t(name + ".weight") : at::Tensor();
  at::Tensor bias = has(name + ".bias") ? t(name + ".bias") : at::Tensor();
  return at::batch_norm(x, weight, bias, t(name + ".running_mean"), t(name + ".running_var"),
                        /*training=*/false, 0.1, 1e-5, /*cudnn_enabled=*/false);
}

at::Tensor CampPlus::res_block(const at::Tensor& x, const std::string& n, int64_t stride) const {
  auto out = at::relu(batch_norm(at::conv2d(x, t(n + ".conv1.weight"), {}, {stride, 1}, {1, 1}), n + ".bn1"));
  out = batch_norm(at::conv2d(out, t(n + ".conv2.weight"), {}, {1, 1}, {1, 1}), n + ".bn2");
  auto shortcut = has(n + ".shortcut.0.weight")
                      ? batch_norm(at::conv2d(x, t(n + ".shortcut.0.weight"), {}, {stride, 1}),
                                   n + ".shortcut.1")
                      : x;
  return at::relu(out + shortcut);
}

at::Tensor CampPlus::features(const at::Tensor& wav16) const {
  auto f = runtime::kaldi_fbank(wav16, 80);
  return f - f.mean({0}, /*keepdim=*/true);
}

at::Tensor CampPlus::embed(const at::Tensor& wav16) const {
  // FCM head over the (frequency, time) plane.
  auto x = features(wav16).t().unsqueeze(0).unsqueeze(0);  // [1, 1, 80, T]
  x = at::relu(batch_norm(at::conv2d(x, t("head.conv1.weight"), {}, {1, 1}, {1, 1}), "head.bn1"));
  for (const char* layer : {"head.layer1", "head.layer2"})
    for (int i = 0; has(std::string(layer) + "." + std::to_string(i) + ".conv1.weight"); ++i)
      x = res_block(x, std::string(layer) + "." + std::to_string(i), i == 0 ? 2 : 1);
  x = at::relu(batch_norm(at::conv2d(x, t("head.conv2.weight"), {}, {2, 1}, {1, 1}), "head.bn2"));
  x = x.reshape({x.size(0), x.size(1) * x.size(2), x.size(3)});  // [1, C*F/8, T]

  x = at::conv1d(x, t("xvector.tdnn.linear.weight"), {}, {2}, {2});
  x = at::relu(batch_norm(x, "xvector.tdnn.nonlinear.batchnorm"));
  for (int b = 1; b <= 3; ++b) {
    const std::string block = "xvector.block" + std::to_string(b);
    const int64_t d = block_dilations[b - 1];
    for (int k = 1; has(block + ".tdnnd" + std::to_string(k) + ".linear1.weight"); ++k) {
      const std::string l = block + ".tdnnd" + std::to_string(k);
      auto h = at::conv1d(at::relu(batch_norm(x, l + ".nonlinear1.batchnorm")), t(l + ".linear1.weight"));
      h = at::relu(batch_norm(h, l + ".nonlinear2.batchnorm"));
      // CAM: a local conv gated by a context of the utterance mean plus segment means.
      auto y = at::conv1d(h, t(l + ".cam_layer.linear_local.weight"), {}, {1}, {d}, {d});
      auto context = h.mean({-1}, /*keepdim=*/true) + segment_pooling(h);
      context = at::relu(at::conv1d(context, t(l + ".cam_layer.linear1.weight"), t(l + ".cam_layer.linear1.bias")));
      auto gate = at::sigmoid(at::conv1d(context, t(l + ".cam_layer.linear2.weight"), t(l + ".cam_layer.linear2.bias")));
      x = at::cat({x, y * gate}, 1);
    }
    const std::string transit = "xvector.transit" + std::to_string(b);
    x = at::conv1d(at::relu(batch_norm(x, transit + ".nonlinear.batchnorm")), t(transit + ".linear.weight"));
  }
  x = at::relu(batch_norm(x, "xvector.out_nonlinear.batchnorm"));
  auto stats = at::cat({x.mean({-1}), x.std({-1}, /*unbiased=*/true)}, -1).unsqueeze(-1);  // [1, 2C, 1]
  auto e = at::conv1d(stats, t("xvector.dense.linear.weight"));
  return batch_norm(e, "xvector.dense.nonlinear.batchnorm").squeeze(-1);
}

}  // namespace warmtts::chatterbox
