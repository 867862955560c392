#include "sidecars/runtime/dsp.hpp"

#include <cmath>
#include <vector>

#include <ATen/TensorOperators.h>
#include <ATen/ops/clamp.h>
#include <ATen/ops/from_blob.h>
#include <ATen/ops/hann_window.h>
#include <ATen/ops/istft.h>
#include <ATen/ops/matmul.h>
#include <ATen/ops/maximum.h>
#include <ATen/ops/pad.h>
#include <ATen/ops/reflection_pad1d.h>
#include <ATen/ops/stft.h>
#include <ATen/ops/view_as_real.h>

namespace warmtts::runtime {
namespace {

// librosa.hz_to_mel / mel_to_hz
double hz_to_mel(double f, bool htk) {
  if (htk) return 2595.0 * std::log10(1.0 + f / 700.0);
  const double f_sp = 200.0 / 3, min_log_hz = 1000.0, min_log_mel = min_log_hz / f_sp,
               logstep = std::log(6.4) / 27.0;
  return f >= min_log_hz ? min_log_mel + std::log(f / min_log_hz) / logstep : f / f_sp;
}

double mel_to_hz(double m, bool htk) {
  if (htk) return 700.0 * (std::pow(10.0, m / 2595.0) - 1.0);
  const double f_sp = 200.0 / 3, min_log_hz = 1000.0, min_log_mel = min_log_hz / f_sp,
               logstep = std::log(6.4) / 27.0;
  return m >= min_log_mel ? min_log_hz * std::exp(logstep * (m - min_log_mel)) : f_sp * m;
}

// Reflect-pads the last dimension (works for [T] and [B, T]).
at::Tensor reflect_pad(const at::Tensor& x, int64_t left, int64_t right) {
  auto x3 = x.dim() == 1 ? x.view({1, 1, -1}) : x.unsqueeze(1);
  auto y = at::reflection_pad1d(x3, {left, right});
  return x.dim() == 1 ? y.view({-1}) : y.squeeze(1);
}

}  // namespace

at::Tensor mel_filterbank(int64_t sr, int64_t n_fft, int64_t n_mels, double fmin, double fmax,
                          bool htk, bool slaney_norm) {
  const int64_t bins = 1 + n_fft / 2;
  std::vector<double> fft_freqs(bins), mel_f(n_mels + 2);
  for (int64_t k = 0; k < bins; ++k) fft_freqs[k] = static_cast<double>(sr) / 2 * k / (bins - 1);
  const double lo = hz_to_mel(fmin, htk), hi = hz_to_mel(fmax, htk);
  for (int64_t i = 0; i < n_mels + 2; ++i)
    mel_f[i] = mel_to_hz(lo + (hi - lo) * i / (n_mels + 1), htk);
  std::vector<float> w(static_cast<size_t>(n_mels * bins));
  for (int64_t i = 0; i < n_mels; ++i) {
    const double fdiff_lo = mel_f[i + 1] - mel_f[i], fdiff_hi = mel_f[i + 2] - mel_f[i + 1];
    for (int64_t k = 0; k < bins; ++k) {
      double lower = -(mel_f[i] - fft_freqs[k]) / fdiff_lo;
      double upper = (mel_f[i + 2] - fft_freqs[k]) / fdiff_hi;
      // librosa stores into float32 first, then scales by the Slaney norm.
      float v = static_cast<float>(std::max(0.0, std::min(lower, upper)));
      if (slaney_norm) v = static_cast<float>(v * (2.0 / (mel_f[i + 2] - mel_f[i])));
      w[i * bins + k] = v;
    }
  }
  return at::from_blob(w.data(), {n_mels, bins}, at::TensorOptions().dtype(at::kFloat)).clone();
}

at::Tensor stft(const at::Tensor& x, int64_t n_fft, int64_t hop, int64_t win_length, bool center) {
  auto window = at::hann_window(win_length, /*periodic=*/true, x.options());
  auto input = center ? reflect_pad(x, n_fft / 2, n_fft / 2) : x;
  return at::stft(input, n_fft, hop, win_length, window, /*normalized=*/false,
                  /*onesided=*/true, /*return_complex=*/true);
}

at::Tensor istft(const at::Tensor& spec, int64_t n_fft, int64_t hop, int64_t win_length,
                 bool center, int64_t length) {
  auto window = at::hann_window(win_length, /*periodic=*/true,
                                at::TensorOptions().dtype(at::kFloat).device(spec.device()));
  return at::istft(spec, n_fft, hop, win_length, window, center, /*normalized=*/false,
                   /*onesided=*/true, length >= 0 ? c10::optional<int64_t>(length) : c10::nullopt,
                   /*return_complex=*/false);
}

at::Tensor power_mel(const at::Tensor& wav, const at::Tensor& filters, int64_t n_fft, int64_t hop,
                     int64_t win_length, double power) {
  auto mag = stft(wav, n_fft, hop, win_length, true).abs();
  return at::matmul(filters, power == 1.0 ? mag : mag.pow(power));
}

at::Tensor whisper_log_mel(const at::Tensor& wav, const at::Tensor& filters) {
  auto spec = stft(wav, 400, 160, 400, true);
  auto power = spec.narrow(-1, 0, spec.size(-1) - 1).abs().pow(2);
  auto log_spec = at::clamp(at::matmul(filters, power), 1e-10).log10();
  log_spec = at::maximum(log_spec, log_spec.max() - 8.0);
  return (log_spec + 4.0) / 4.0;
}

at::Tensor matcha_log_mel(const at::Tensor& wav, const at::Tensor& filters, int64_t n_fft,
                          int64_t hop) {
  const int64_t pad = (n_fft - hop) / 2;
  auto spec = at::view_as_real(stft(reflect_pad(wav, pad, pad), n_fft, hop, n_fft, false));
  auto mag = (spec.pow(2).sum(-1) + 1e-9).sqrt();
  return at::clamp(at::matmul(filters, mag), 1e-5).log();
}

}  // namespace warmtts::runtime
