#include "sidecars/chatterbox/voice_encoder.hpp"

#include <cmath>
#include <stdexcept>

#include <ATen/TensorOperators.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/constant_pad_nd.h>
#include <ATen/ops/linalg_vector_norm.h>
#include <ATen/ops/lstm.h>
#include <ATen/ops/relu.h>
#include <ATen/ops/stack.h>
#include <ATen/ops/zeros.h>

#include "sidecars/runtime/dsp.hpp"
#include "sidecars/runtime/transformer.hpp"

namespace warmtts::chatterbox {
namespace {

// VoiceEncConfig
constexpr int64_t sample_rate = 16000, n_fft = 400, hop = 160, num_mels = 40, partial_frames = 160;
constexpr double rate = 1.3, min_coverage = 0.8;

at::Tensor l2_normalize(const at::Tensor& x) {
  return x / at::linalg_vector_norm(x, 2, {-1}, /*keepdim=*/true);
}

}  // namespace

VoiceEncoderWeights VoiceEncoderWeights::load(const runtime::SafetensorsFile& f) {
  VoiceEncoderWeights w;
  for (int i = 0; f.contains("lstm.weight_ih_l" + std::to_string(i)); ++i) {
    auto s = std::to_string(i);
    w.lstm.push_back({f.tensor("lstm.weight_ih_l" + s), f.tensor("lstm.weight_hh_l" + s),
                      f.tensor("lstm.bias_ih_l" + s), f.tensor("lstm.bias_hh_l" + s)});
  }
  if (w.lstm.empty()) throw std::runtime_error("ve.safetensors: no lstm.weight_ih_l0");
  w.proj_weight = f.tensor("proj.weight");
  w.proj_bias = f.tensor("proj.bias");
  return w;
}

at::Tensor trim_silence(const at::Tensor& wav, double top_db) {
  const int64_t frame = 2048, hop_length = 512, n = wav.size(0);
  // feature.rms(center=True, pad_mode="constant"): zero-pad frame/2 on both sides.
  auto padded = at::constant_pad_nd(wav, {frame / 2, frame / 2}, 0);
  const int64_t frames = 1 + (padded.size(0) - frame) / hop_length;
  auto windows = padded.as_strided({frames, frame}, {hop_length, 1});
  auto rms = windows.pow(2).mean({1}).sqrt();
  // amplitude_to_db(rms, ref=max): power in dB relative to the loudest frame, amin 1e-5.
  auto db = 10.0 * rms.pow(2).clamp_min(1e-10).log10() -
            10.0 * std::log10(std::max(1e-10, std::pow(rms.max().item<double>(), 2)));
  auto loud = (db > -top_db).nonzero();
  if (loud.numel() == 0) return wav.narrow(0, 0, 0);
  const int64_t first = loud[0][0].item<int64_t>(), last = loud[-1][0].item<int64_t>();
  const int64_t start = first * hop_length, end = std::min(n, (last + 1) * hop_length);
  return wav.narrow(0, start, end - start);
}

VoiceEncoder::VoiceEncoder(VoiceEncoderWeights weights)
    : w_(std::move(weights)),
      mel_basis_(runtime::mel_filterbank(sample_rate, n_fft, num_mels, 0, 8000)) {}

at::Tensor VoiceEncoder::mel(const at::Tensor& wav16) const {
  return runtime::power_mel(wav16, mel_basis_, n_fft, hop, n_fft, 2.0).t().contiguous();
}

at::Tensor VoiceEncoder::embed_partials(const at::Tensor& partials) const {
  std::vector<at::Tensor> params;
  for (const auto& l : w_.lstm) params.insert(params.end(), {l.weight_ih, l.weight_hh, l.bias_ih, l.bias_hh});
  const int64_t layers = static_cast<int64_t>(w_.lstm.size()), hidden = w_.lstm[0].weight_hh.size(1);
  auto h0 = at::zeros({layers, partials.size(0), hidden}, partials.options());
  auto out = at::lstm(partials, {h0, h0}, params, /*has_biases=*/true, layers, /*dropout=*/0,
                      /*train=*/false, /*bidirectional=*/false, /*batch_first=*/true);
  auto last_hidden = std::get<1>(out)[layers - 1];  // final state of the last layer
  return l2_normalize(at::relu(runtime::dense(last_hidden, w_.proj_weight, w_.proj_bias)));
}

at::Tensor VoiceEncoder::embed(const at::Tensor& wav16) const {
  auto m = mel(trim_silence(wav16));
  // get_frame_step / get_num_wins with Resemble's rate 1.3.
  const int64_t step = static_cast<int64_t>(std::nearbyint((sample_rate / rate) / partial_frames));
  const int64_t t = m.size(0);
  int64_t wins = std::max<int64_t>(t - partial_frames + step, 0) / step;
  const int64_t remainder = std::max<int64_t>(t - partial_frames + step, 0) % step;
  if (wins == 0 || static_cast<double>(remainder + (partial_frames - step)) / partial_frames >= min_coverage)
    ++wins;
  const int64_t target = partial_frames + step * (wins - 1);
  if (target > t) m = at::constant_pad_nd(m, {0, 0, 0, target - t}, 0);
  std::vector<at::Tensor> partials;
  for (int64_t i = 0; i < wins; ++i) partials.push_back(m.narrow(0, i * step, partial_frames));
  auto embeds = embed_partials(at::stack(partials));
  return l2_normalize(embeds.mean({0}));
}

}  // namespace warmtts::chatterbox
