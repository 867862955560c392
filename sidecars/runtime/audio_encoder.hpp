// Encodes mono float PCM into the container formats a job may ask for (libsndfile), and
// resamples between rates (soxr, "HQ" as librosa's default).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace warmtts::audio {

// The formats of a job's `format` field, in the order they are documented.
const std::vector<std::string_view>& output_formats();

// "" when `rate` can be written as `format`; otherwise what is allowed.
std::string check_output_rate(std::string_view format, int rate);

// Encodes to a complete file in memory. Throws std::runtime_error on an encoder failure.
std::string encode(std::span<const float> samples, int sample_rate, std::string_view format);

// Little-endian 16-bit PCM (what stream chunks carry).
std::string to_pcm_s16le(std::span<const float> samples);

std::vector<float> resample(std::span<const float> samples, int from_rate, int to_rate);

// Resamples a stream chunk by chunk without seams between chunks.
class StreamResampler {
 public:
  StreamResampler(int from_rate, int to_rate);
  ~StreamResampler();
  StreamResampler(const StreamResampler&) = delete;
  StreamResampler& operator=(const StreamResampler&) = delete;

  std::vector<float> process(std::span<const float> samples);
  std::vector<float> flush();  // what the filter still holds at the end of the stream

 private:
  void* soxr_ = nullptr;
  double ratio_;
};

}  // namespace warmtts::audio
