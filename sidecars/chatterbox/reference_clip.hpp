// A job's reference clip as Chatterbox's prepare_conditionals reads it: decoded to mono,
// resampled to 24 kHz like librosa.load(sr=24000), and from there to 16 kHz like
// librosa.resample (both soxr HQ), after checking that it can be cloned from.
#pragma once

#include <string>
#include <utility>

#include <ATen/core/Tensor.h>

namespace warmtts::chatterbox {

inline constexpr double min_clip_seconds = 1.0;  // shorter clips give too few speech tokens
inline constexpr float silent_peak = 1e-3f;      // a clip whose peak is under -60 dBFS is silent

// Encoded audio bytes -> {wav24 [T24], wav16 [T16]} float32. Throws InvalidInput naming
// input.voice for bytes that are not audio, a clip that is too short, or a silent one.
std::pair<at::Tensor, at::Tensor> reference_clip(const std::string& bytes);

}  // namespace warmtts::chatterbox
