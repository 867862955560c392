// Reference clips from jobs: decode WAV/FLAC/OGG/MP3 bytes from memory (libsndfile), mix down
// to mono as librosa does (the mean of the channels). Resampling is in audio_encoder.hpp
// (soxr HQ, librosa's soxr_hq).
#pragma once

#include <stdexcept>
#include <string_view>
#include <vector>

namespace warmtts::audio {

// Bytes that are not audio, or audio libsndfile cannot read. The message says what to send.
struct AudioDecodeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct DecodedAudio {
  std::vector<float> samples;  // mono, [-1, 1]
  int sample_rate = 0;
  int channels = 0;  // before the downmix
  double seconds() const { return sample_rate ? static_cast<double>(samples.size()) / sample_rate : 0; }
};

DecodedAudio decode(std::string_view bytes);

}  // namespace warmtts::audio
