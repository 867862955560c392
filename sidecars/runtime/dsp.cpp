#include "sidecars/runtime/dsp.hpp"

#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include <ATen/TensorOperators.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/clamp.h>
#include <ATen/ops/constant_pad_nd.h>
#include <ATen/ops/conv1d.h>
#include <ATen/ops/fft_rfft.h>
#include <ATen/ops/mm.h>
#include <ATen/ops/minimum.h>
#include <ATen/ops/zeros.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/from_blob.h>
#include <ATen/ops/full.h>
#include <ATen/ops/ones.h>
#include <ATen/ops/where.h>
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

namespace {

// Kaldi's mel scale (natural log, 1127).
at::Tensor kaldi_mel(const at::Tensor& f) { return 1127.0 * (1.0 + f / 700.0).log(); }
double kaldi_mel(double f) { return 1127.0 * std::log(1.0 + f / 700.0); }

// torchaudio.compliance.kaldi.get_mel_banks without VTLN warping: [num_bins, padded/2]
at::Tensor kaldi_mel_banks(int64_t num_bins, int64_t padded, double sample_freq, double low_freq,
                           double high_freq) {
  const auto f32 = at::TensorOptions().dtype(at::kFloat);
  const int64_t num_fft_bins = padded / 2;
  const double nyquist = 0.5 * sample_freq;
  if (high_freq <= 0.0) high_freq += nyquist;
  const double fft_bin_width = sample_freq / padded;
  const double mel_low = kaldi_mel(low_freq), mel_high = kaldi_mel(high_freq);
  const double delta = (mel_high - mel_low) / (num_bins + 1);
  auto bin = at::arange(num_bins, at::TensorOptions().dtype(at::kLong)).unsqueeze(1);
  auto left = mel_low + bin * delta;
  auto center = mel_low + (bin + 1.0) * delta;
  auto right = mel_low + (bin + 2.0) * delta;
  auto mel = kaldi_mel(fft_bin_width * at::arange(num_fft_bins, at::TensorOptions().dtype(at::kLong))).unsqueeze(0);
  auto up = (mel - left) / (center - left);
  auto down = (right - mel) / (right - center);
  return at::maximum(at::zeros({1}, f32), at::minimum(up, down)).to(at::kFloat);
}

}  // namespace

at::Tensor kaldi_fbank(const at::Tensor& wav, int64_t num_mel_bins, double sample_frequency) {
  const int64_t shift = static_cast<int64_t>(sample_frequency * 10.0 * 0.001);
  const int64_t size = static_cast<int64_t>(sample_frequency * 25.0 * 0.001);
  int64_t padded = 1;
  while (padded < size) padded *= 2;
  const int64_t n = wav.size(-1);
  if (n < size) return at::empty({0, num_mel_bins}, wav.options());
  const int64_t frames = 1 + (n - size) / shift;  // snip_edges
  auto x = wav.contiguous().as_strided({frames, size}, {shift, 1});
  x = x - x.mean({1}, /*keepdim=*/true);  // remove the DC offset
  // Preemphasis with the first sample replicated (torchaudio's replicate pad).
  auto previous = at::cat({x.narrow(1, 0, 1), x.narrow(1, 0, size - 1)}, 1);
  x = x - 0.97 * previous;
  auto window = at::hann_window(size, /*periodic=*/false, x.options()).pow(0.85);  // povey
  x = at::constant_pad_nd(x * window, {0, padded - size}, 0);
  auto power = at::fft_rfft(x).abs().pow(2.0);  // [frames, padded/2 + 1]
  auto banks = at::constant_pad_nd(kaldi_mel_banks(num_mel_bins, padded, sample_frequency, 20.0, 0.0),
                                   {0, 1}, 0);
  auto mel = at::mm(power, banks.t());
  const double eps = std::numeric_limits<float>::epsilon();
  return at::maximum(mel, at::full({}, eps, mel.options())).log();
}

at::Tensor sinc_resample(const at::Tensor& wav, int64_t from_rate, int64_t to_rate) {
  if (from_rate == to_rate) return wav;
  const int64_t g = std::gcd(from_rate, to_rate);
  const int64_t orig = from_rate / g, next = to_rate / g;
  const double width_factor = 6, rolloff = 0.99;
  const double base = std::min(orig, next) * rolloff;
  const int64_t width = static_cast<int64_t>(std::ceil(width_factor * orig / base));
  // The kernel in float64, as torchaudio builds it, then float32.
  const auto f64 = at::TensorOptions().dtype(at::kDouble);
  auto idx = at::arange(-width, width + orig, f64).view({1, 1, -1}) / static_cast<double>(orig);
  // torchaudio divides the integer arange in float32, then adds the float64 idx.
  auto t = (at::arange(0, -next, -1, at::TensorOptions().dtype(at::kLong)).to(at::kFloat) /
            static_cast<double>(next)).to(at::kDouble).view({-1, 1, 1}) + idx;
  t = (t * base).clamp(-width_factor, width_factor);
  auto window = (t * M_PI / width_factor / 2).cos().pow(2);
  t = t * M_PI;
  const double scale = base / orig;
  auto kernels = at::where(t == 0, at::ones({}, f64), t.sin() / t) * window * scale;
  kernels = kernels.to(at::kFloat);  // [next, 1, K]

  auto shape = wav.sizes().vec();
  auto x = wav.reshape({-1, shape.back()});
  const int64_t length = x.size(1);
  x = at::constant_pad_nd(x, {width, width + orig}, 0);
  auto y = at::conv1d(x.unsqueeze(1), kernels, {}, {orig});  // [B, next, frames]
  y = y.transpose(1, 2).reshape({x.size(0), -1});
  const int64_t target = static_cast<int64_t>(std::ceil(static_cast<double>(next) * length / orig));
  y = y.narrow(1, 0, std::min(target, y.size(1)));
  shape.back() = y.size(1);
  return y.reshape(shape);
}

}  // namespace warmtts::runtime
