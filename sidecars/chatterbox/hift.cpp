#include "sidecars/chatterbox/hift.hpp"

#include <cmath>
#include <stdexcept>

#include <ATen/TensorOperators.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/clamp.h>
#include <ATen/ops/complex.h>
#include <ATen/ops/conv1d.h>
#include <ATen/ops/conv_transpose1d.h>
#include <ATen/ops/elu.h>
#include <ATen/ops/leaky_relu.h>
#include <ATen/ops/rand.h>
#include <ATen/ops/randn.h>
#include <ATen/ops/reflection_pad1d.h>
#include <ATen/ops/repeat_interleave.h>
#include <ATen/ops/tanh.h>

#include "sidecars/runtime/checkpoint.hpp"
#include "sidecars/runtime/dsp.hpp"
#include "sidecars/runtime/transformer.hpp"

namespace warmtts::chatterbox {
namespace {

// Chatterbox's HiFTGenerator settings (s3gen.py).
constexpr int64_t upsample_rates[] = {8, 5, 3};
constexpr int64_t upsample_kernels[] = {16, 11, 7};
constexpr int64_t source_kernels[] = {7, 7, 11};
constexpr int64_t resblock_kernels[] = {3, 7, 11};
constexpr int64_t dilations[] = {1, 3, 5};
constexpr int64_t n_fft = 16, hop = 4, harmonics = 8, sample_rate = 24000;
constexpr int64_t upsample_total = 8 * 5 * 3 * hop;  // 480 samples per mel frame
constexpr double sine_amp = 0.1, noise_std = 0.003, voiced_threshold = 10, audio_limit = 0.99;

// x + sin^2(alpha x) / (alpha + 1e-9), alpha per channel
at::Tensor snake(const at::Tensor& x, const at::Tensor& alpha) {
  auto a = alpha.view({1, -1, 1});
  return x + (1.0 / (a + 1e-9)) * (x * a).sin().pow(2);
}

at::Tensor conv(const at::Tensor& x, const Affine& a, int64_t stride, int64_t padding, int64_t dilation = 1) {
  return at::conv1d(x, a.weight, a.bias, {stride}, {padding}, {dilation});
}

at::Tensor resblock(const at::Tensor& x, const HiftResBlockWeights& w, int64_t kernel) {
  at::Tensor out = x;
  for (size_t i = 0; i < 3; ++i) {
    const int64_t d = dilations[i];
    auto xt = snake(out, w.activations1_alpha[i]);
    xt = conv(xt, w.convs1[i], 1, (kernel * d - d) / 2, d);
    xt = snake(xt, w.activations2_alpha[i]);
    xt = conv(xt, w.convs2[i], 1, (kernel - 1) / 2);
    out = xt + out;
  }
  return out;
}

HiftResBlockWeights resblock_weights(const runtime::SubmoduleTensors& t, const std::string& name) {
  HiftResBlockWeights r;
  for (size_t i = 0; i < 3; ++i) {
    const std::string s = std::to_string(i);
    r.convs1[i] = t.affine(name + ".convs1." + s);
    r.convs2[i] = t.affine(name + ".convs2." + s);
    r.activations1_alpha[i] = t(name + ".activations1." + s + ".alpha");
    r.activations2_alpha[i] = t(name + ".activations2." + s + ".alpha");
  }
  return r;
}

}  // namespace

HiftWeights HiftWeights::load(const std::map<std::string, at::Tensor>& tensors) {
  runtime::SubmoduleTensors t(tensors, "mel2wav.");
  runtime::fold_weight_norms(t.tensors());
  HiftWeights w;
  for (size_t i = 0; i < 5; ++i) w.f0_predictor_condnet[i] = t.affine("f0_predictor.condnet." + std::to_string(2 * i));
  w.f0_predictor_classifier = t.affine("f0_predictor.classifier");
  w.m_source_l_linear = t.affine("m_source.l_linear");
  w.conv_pre = t.affine("conv_pre");
  for (size_t i = 0; i < 3; ++i) {
    w.ups[i] = t.affine("ups." + std::to_string(i));
    w.source_downs[i] = t.affine("source_downs." + std::to_string(i));
    w.source_resblocks[i] = resblock_weights(t, "source_resblocks." + std::to_string(i));
  }
  for (size_t i = 0; i < 9; ++i) w.resblocks[i] = resblock_weights(t, "resblocks." + std::to_string(i));
  w.conv_post = t.affine("conv_post");
  return w;
}

at::Tensor Hift::predict_f0(const at::Tensor& mel) const {
  at::Tensor x = mel;
  for (const auto& layer : w_.f0_predictor_condnet) x = at::elu(conv(x, layer, 1, 1));
  auto y = runtime::dense(x.transpose(1, 2), w_.f0_predictor_classifier.weight, w_.f0_predictor_classifier.bias);
  return y.squeeze(-1).abs();
}

at::Tensor Hift::source(const at::Tensor& f0, at::Generator& gen) const {
  // Nearest upsampling to the sample rate, then SineGen: harmonic k at (k+1) f0.
  auto f = at::repeat_interleave(f0, upsample_total, -1).unsqueeze(1);  // [B, 1, L]
  std::vector<at::Tensor> rows;
  for (int64_t k = 0; k <= harmonics; ++k) rows.push_back(f * static_cast<double>(k + 1) / sample_rate);
  auto freqs = at::cat(rows, 1);  // [B, 9, L]
  auto theta = 2 * M_PI * freqs.cumsum(-1).remainder(1.0);
  // torch.distributions.Uniform(-pi, pi).sample: rand * 2pi - pi; the fundamental has phase 0.
  auto phase = at::rand({f0.size(0), harmonics + 1, 1}, gen, f0.options()) * (2 * M_PI) - M_PI;
  phase.select(1, 0).zero_();
  auto sines = sine_amp * (theta + phase).sin();
  auto uv = (f > voiced_threshold).to(at::kFloat);
  auto noise_amp = uv * noise_std + (1 - uv) * (sine_amp / 3);
  auto noise = noise_amp * at::randn(sines.sizes(), gen, sines.options());
  sines = sines * uv + noise;
  auto merged = at::tanh(runtime::dense(sines.transpose(1, 2), w_.m_source_l_linear.weight,
                                        w_.m_source_l_linear.bias));  // [B, L, 1]
  return merged.transpose(1, 2);
}

at::Tensor Hift::decode(const at::Tensor& mel, const at::Tensor& source) const {
  auto spec = runtime::stft(source.squeeze(1), n_fft, hop, n_fft, /*center=*/true);  // [B, 9, F]
  auto s_stft = at::cat({at::real(spec), at::imag(spec)}, 1);
  auto x = conv(mel, w_.conv_pre, 1, 3);
  for (int64_t i = 0; i < 3; ++i) {
    x = at::leaky_relu(x, 0.1);
    const int64_t u = upsample_rates[i], k = upsample_kernels[i];
    x = at::conv_transpose1d(x, w_.ups[i].weight, w_.ups[i].bias, {u}, {(k - u) / 2});
    if (i == 2) x = at::reflection_pad1d(x, {1, 0});
    // The source enters at every scale: downsampled by 15, 3, 1.
    const int64_t down = i == 0 ? 15 : i == 1 ? 3 : 1;
    auto si = down == 1 ? conv(s_stft, w_.source_downs[i], 1, 0) : conv(s_stft, w_.source_downs[i], down, down / 2);
    si = resblock(si, w_.source_resblocks[i], source_kernels[i]);
    x = x + si;
    at::Tensor xs;
    for (int64_t j = 0; j < 3; ++j) {
      auto r = resblock(x, w_.resblocks[i * 3 + j], resblock_kernels[j]);
      xs = j == 0 ? r : xs + r;
    }
    x = xs / 3.0;
  }
  x = conv(at::leaky_relu(x, 0.01), w_.conv_post, 1, 3);
  const int64_t bins = n_fft / 2 + 1;
  auto magnitude = at::clamp(x.narrow(1, 0, bins).exp(), c10::nullopt, 1e2);
  auto phase = x.narrow(1, bins, bins).sin();
  auto audio = runtime::istft(at::complex(magnitude * phase.cos(), magnitude * phase.sin()), n_fft,
                              hop, n_fft, /*center=*/true);
  return at::clamp(audio, -audio_limit, audio_limit);
}

at::Tensor Hift::synthesize(const at::Tensor& mel, at::Generator& gen) const {
  return decode(mel, source(predict_f0(mel), gen));
}

}  // namespace warmtts::chatterbox
