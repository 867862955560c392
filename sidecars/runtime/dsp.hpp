// Signal processing the models' front ends and vocoders need, matched to the reference
// functions: STFT/iSTFT (torch semantics), librosa mel filterbanks (Slaney and HTK), and the
// log-mel front ends: librosa power mel (Chatterbox VoiceEncoder), Whisper-style log-mel (S3
// tokenizer), Matcha-style log-mel (S3Gen prompt).
#pragma once

#include <cstdint>

#include <ATen/core/Tensor.h>

namespace warmtts::runtime {

// librosa.filters.mel(sr, n_fft, n_mels, fmin, fmax, htk, norm="slaney" or None): [n_mels, 1+n_fft/2]
at::Tensor mel_filterbank(int64_t sample_rate, int64_t n_fft, int64_t n_mels, double fmin,
                          double fmax, bool htk = false, bool slaney_norm = true);

// torch.stft with a periodic Hann window of `win_length` (return_complex): x [T] or [B, T] ->
// [.., 1+n_fft/2, frames]. center pads n_fft/2 on both sides, reflecting.
at::Tensor stft(const at::Tensor& x, int64_t n_fft, int64_t hop, int64_t win_length, bool center);

// torch.istft with a periodic Hann window; `length` < 0: as torch computes it.
at::Tensor istft(const at::Tensor& spec, int64_t n_fft, int64_t hop, int64_t win_length,
                 bool center, int64_t length = -1);

// Chatterbox VoiceEncoder: librosa.stft(center, reflect) -> |X|^power -> filters @ -> [.., n_mels, frames]
at::Tensor power_mel(const at::Tensor& wav, const at::Tensor& filters, int64_t n_fft, int64_t hop,
                     int64_t win_length, double power = 2.0);

// S3 tokenizer (Whisper style): stft(400, 160, center) without its last frame, |X|^2, filters @,
// log10(clamp 1e-10), max(x, max(x) - 8), (x + 4) / 4. wav [T] at 16 kHz -> [n_mels, frames]
at::Tensor whisper_log_mel(const at::Tensor& wav, const at::Tensor& filters);

// S3Gen prompt mel (Matcha): reflect-pad (n_fft - hop)/2, stft(center=false), sqrt(|X|^2 + 1e-9),
// filters @, log(clamp 1e-5). wav [T] at 24 kHz -> [n_mels, frames]
at::Tensor matcha_log_mel(const at::Tensor& wav, const at::Tensor& filters, int64_t n_fft = 1920,
                          int64_t hop = 480);

// torchaudio.compliance.kaldi.fbank(wav[None], num_mel_bins) with its defaults (CAMPPlus
// features): 25/10 ms frames at 16 kHz with snip_edges, DC removal, preemphasis 0.97, povey
// window, 512-point power spectrum, Kaldi mel banks 20 Hz..Nyquist, log with float epsilon.
// wav [T] -> [frames, num_mel_bins]
at::Tensor kaldi_fbank(const at::Tensor& wav, int64_t num_mel_bins = 80,
                       double sample_frequency = 16000);

// torchaudio.functional.resample (sinc_interp_hann, lowpass_filter_width 6, rolloff 0.99):
// what torchaudio.transforms.Resample(from, to) does. wav [..., T] float32.
at::Tensor sinc_resample(const at::Tensor& wav, int64_t from_rate, int64_t to_rate);

}  // namespace warmtts::runtime
