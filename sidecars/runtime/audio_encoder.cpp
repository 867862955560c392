#include "sidecars/runtime/audio_encoder.hpp"

#include "sidecars/runtime/sndfile_memory.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include <sndfile.h>
#include <soxr.h>

namespace warmtts::audio {
namespace {

struct FormatInfo {
  std::string_view name;
  int sndfile_format;
  std::vector<int> rates;  // empty: any rate libsndfile accepts
};

const std::vector<FormatInfo>& formats() {
  static const std::vector<FormatInfo> table = {
      {"wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, {}},
      {"flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, {}},
      {"ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS, {}},
      // Opus codes only these rates (RFC 6716).
      {"opus", SF_FORMAT_OGG | SF_FORMAT_OPUS, {8000, 12000, 16000, 24000, 48000}},
      // MPEG-1/2/2.5 layer III rates.
      {"mp3", SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III,
       {8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000}},
  };
  return table;
}

const FormatInfo& find_format(std::string_view name) {
  for (const auto& f : formats())
    if (f.name == name) return f;
  throw std::invalid_argument("unknown audio format '" + std::string(name) + "'");
}

}  // namespace

const std::vector<std::string_view>& output_formats() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> v;
    for (const auto& f : formats()) v.push_back(f.name);
    return v;
  }();
  return names;
}

std::string check_output_rate(std::string_view format, int rate) {
  const auto& f = find_format(format);
  if (f.rates.empty() || std::find(f.rates.begin(), f.rates.end(), rate) != f.rates.end())
    return "";
  std::string allowed;
  for (int r : f.rates) allowed += (allowed.empty() ? "" : ", ") + std::to_string(r);
  return std::string(format) + " supports sample rates " + allowed;
}

std::string encode(std::span<const float> samples, int sample_rate, std::string_view format) {
  const auto& f = find_format(format);
  SndfileMemory file;
  SF_VIRTUAL_IO io = SndfileMemory::io();
  SF_INFO info{};
  info.samplerate = sample_rate;
  info.channels = 1;
  info.format = f.sndfile_format;
  SNDFILE* sf = sf_open_virtual(&io, SFM_WRITE, &info, &file);
  if (!sf)
    throw std::runtime_error("cannot encode " + std::string(format) + " at " +
                             std::to_string(sample_rate) + " Hz: " + sf_strerror(nullptr));
  // Clip instead of wrapping around when float samples exceed [-1, 1].
  sf_command(sf, SFC_SET_CLIPPING, nullptr, SF_TRUE);
  sf_count_t written = sf_write_float(sf, samples.data(), static_cast<sf_count_t>(samples.size()));
  std::string err = written == static_cast<sf_count_t>(samples.size()) ? "" : sf_strerror(sf);
  sf_close(sf);
  if (!err.empty()) throw std::runtime_error("audio encoder failed: " + err);
  return std::move(file.data);
}

std::string to_pcm_s16le(std::span<const float> samples) {
  std::string out(samples.size() * 2, '\0');
  for (size_t i = 0; i < samples.size(); ++i) {
    float s = std::clamp(samples[i], -1.0f, 1.0f);
    auto v = static_cast<int16_t>(std::lrint(s * 32767.0f));
    out[2 * i] = static_cast<char>(v & 0xff);
    out[2 * i + 1] = static_cast<char>((v >> 8) & 0xff);
  }
  return out;
}

std::vector<float> resample(std::span<const float> samples, int from_rate, int to_rate) {
  if (from_rate == to_rate) return {samples.begin(), samples.end()};
  // librosa.resample(fix=True): exactly ceil(len * (to / from)) samples, the ratio taken first
  // (in floating point, as numpy does), zero-padded or cut to that length.
  const double ratio = static_cast<double>(to_rate) / from_rate;
  const size_t out_len = static_cast<size_t>(std::ceil(static_cast<double>(samples.size()) * ratio));
  std::vector<float> out(out_len + 16);
  size_t produced = 0;
  soxr_quality_spec_t quality = soxr_quality_spec(SOXR_HQ, 0);
  soxr_error_t err = soxr_oneshot(from_rate, to_rate, 1, samples.data(), samples.size(), nullptr,
                                  out.data(), out.size(), &produced, nullptr, &quality, nullptr);
  if (err) throw std::runtime_error(std::string("resampling failed: ") + err);
  out.resize(produced);
  out.resize(out_len, 0.0f);
  return out;
}

StreamResampler::StreamResampler(int from_rate, int to_rate)
    : ratio_(static_cast<double>(to_rate) / from_rate) {
  soxr_error_t err = nullptr;
  soxr_quality_spec_t quality = soxr_quality_spec(SOXR_HQ, 0);
  soxr_ = soxr_create(from_rate, to_rate, 1, &err, nullptr, &quality, nullptr);
  if (err) throw std::runtime_error(std::string("resampler: ") + err);
}

StreamResampler::~StreamResampler() { soxr_delete(static_cast<soxr_t>(soxr_)); }

std::vector<float> StreamResampler::process(std::span<const float> samples) {
  std::vector<float> out(static_cast<size_t>(std::ceil(samples.size() * ratio_)) + 64);
  size_t done = 0;
  soxr_error_t err = soxr_process(static_cast<soxr_t>(soxr_), samples.data(), samples.size(),
                                  nullptr, out.data(), out.size(), &done);
  if (err) throw std::runtime_error(std::string("resampler: ") + err);
  out.resize(done);
  return out;
}

std::vector<float> StreamResampler::flush() {
  std::vector<float> out, buf(4096);
  for (;;) {
    size_t done = 0;
    soxr_process(static_cast<soxr_t>(soxr_), nullptr, 0, nullptr, buf.data(), buf.size(), &done);
    if (done == 0) break;
    out.insert(out.end(), buf.begin(), buf.begin() + done);
  }
  return out;
}

}  // namespace warmtts::audio
