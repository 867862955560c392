#include "sidecars/runtime/audio_decoder.hpp"

#include "sidecars/runtime/sndfile_memory.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include <sndfile.h>

namespace warmtts::audio {
DecodedAudio decode(std::string_view bytes) {
  if (bytes.empty()) throw AudioDecodeError("the audio is empty");
  SndfileMemory reader{std::string(bytes)};
  SF_VIRTUAL_IO io = SndfileMemory::io();
  SF_INFO info{};
  SNDFILE* f = sf_open_virtual(&io, SFM_READ, &info, &reader);
  if (!f)
    throw AudioDecodeError(std::string("not a readable WAV, FLAC, OGG or MP3 file (") +
                           sf_strerror(nullptr) + ")");
  DecodedAudio out;
  out.sample_rate = info.samplerate;
  out.channels = info.channels;
  if (info.channels <= 0 || info.samplerate <= 0) {
    sf_close(f);
    throw AudioDecodeError("the audio has no channels or no sample rate");
  }
  std::vector<float> interleaved;
  std::vector<float> block(static_cast<size_t>(4096 * info.channels));
  for (;;) {
    sf_count_t frames = sf_readf_float(f, block.data(), 4096);
    if (frames <= 0) break;
    interleaved.insert(interleaved.end(), block.begin(), block.begin() + frames * info.channels);
  }
  int err = sf_error(f);
  sf_close(f);
  if (err != SF_ERR_NO_ERROR && interleaved.empty())
    throw AudioDecodeError(std::string("the audio is damaged (") + sf_error_number(err) + ")");
  const size_t frames = interleaved.size() / info.channels;
  out.samples.resize(frames);
  for (size_t i = 0; i < frames; ++i) {
    float sum = 0;
    for (int c = 0; c < info.channels; ++c) sum += interleaved[i * info.channels + c];
    out.samples[i] = sum / static_cast<float>(info.channels);
  }
  if (out.samples.empty()) throw AudioDecodeError("the audio holds no samples");
  return out;
}

}  // namespace warmtts::audio
