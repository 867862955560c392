#include "sidecars/chatterbox/reference_clip.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include <ATen/ops/empty.h>

#include "sidecars/chatterbox/chatterbox_model.hpp"
#include "sidecars/runtime/audio_decoder.hpp"
#include "sidecars/runtime/audio_encoder.hpp"
#include "sidecars/tts_engine.hpp"

namespace warmtts::chatterbox {
namespace {

at::Tensor as_tensor(const std::vector<float>& samples) {
  auto t = at::empty({static_cast<int64_t>(samples.size())}, at::TensorOptions().dtype(at::kFloat));
  std::copy(samples.begin(), samples.end(), t.data_ptr<float>());
  return t;
}

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", s);
  return buf;
}

}  // namespace

std::pair<at::Tensor, at::Tensor> reference_clip(const std::string& bytes) {
  audio::DecodedAudio clip;
  try {
    clip = audio::decode(bytes);
  } catch (const audio::AudioDecodeError& e) {
    throw InvalidInput(std::string("input.voice: ") + e.what());
  }
  if (clip.seconds() < min_clip_seconds)
    throw InvalidInput("input.voice: the reference clip lasts " + seconds_text(clip.seconds()) + " s; at least " +
                       seconds_text(min_clip_seconds) + " s of speech is needed");
  float peak = 0;
  for (float s : clip.samples) peak = std::max(peak, std::abs(s));
  if (peak < silent_peak) throw InvalidInput("input.voice: the reference clip is silent");
  auto wav24 = clip.sample_rate == ChatterboxModel::sample_rate
                   ? clip.samples
                   : audio::resample(clip.samples, clip.sample_rate, ChatterboxModel::sample_rate);
  auto wav16 = audio::resample(wav24, ChatterboxModel::sample_rate, ChatterboxModel::tokenizer_rate);
  return {as_tensor(wav24), as_tensor(wav16)};
}

}  // namespace warmtts::chatterbox
