// Decoding and resampling reference clips against librosa (tools/parity/audio.py).
#define BOOST_TEST_MODULE audio_parity
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <sstream>

#include <ATen/TensorOperators.h>
#include <ATen/ops/from_blob.h>

#include "sidecars/runtime/audio_decoder.hpp"
#include "sidecars/runtime/audio_encoder.hpp"
#include "sidecars/runtime/safetensors_file.hpp"

using namespace warmtts;

namespace {

const std::string dir = std::string(WARMTTS_FIXTURES) + "/audio/";
const auto ref = runtime::SafetensorsFile::open(dir + "reference.safetensors");

std::string bytes_of(const std::string& file) {
  std::ifstream in(dir + file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void close(std::vector<float> ours, const std::string& name, double tolerance) {
  auto theirs = ref.tensor(name);
  BOOST_TEST_CONTEXT(name) {
    BOOST_REQUIRE_EQUAL(static_cast<int64_t>(ours.size()), theirs.size(0));
    auto t = at::from_blob(ours.data(), {static_cast<int64_t>(ours.size())}, at::kFloat);
    double worst = (t - theirs).abs().max().item<double>();
    BOOST_TEST_MESSAGE(name << ": worst difference " << worst);
    BOOST_TEST(worst <= tolerance, "worst difference " << worst);
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(decoding_and_downmix_match_librosa) {
  auto wav = audio::decode(bytes_of("stereo_44k.wav"));
  BOOST_TEST(wav.sample_rate == 44100);
  BOOST_TEST(wav.channels == 2);
  close(wav.samples, "stereo_mono", 1e-6);
  auto flac = audio::decode(bytes_of("mono_24k.flac"));
  BOOST_TEST(flac.sample_rate == 24000);
  close(flac.samples, "flac_mono", 1e-6);
}

BOOST_AUTO_TEST_CASE(soxr_hq_resampling_matches_librosa) {
  auto wav = audio::decode(bytes_of("stereo_44k.wav"));
  auto y24 = audio::resample(wav.samples, 44100, 24000);
  close(y24, "stereo_24k", 1e-4);
  auto ref24 = ref.tensor("stereo_24k");
  std::vector<float> y(ref24.data_ptr<float>(), ref24.data_ptr<float>() + ref24.numel());
  close(audio::resample(y, 24000, 16000), "stereo_16k", 1e-4);
}

BOOST_AUTO_TEST_CASE(corrupt_or_non_audio_bytes_are_clear_errors) {
  auto expect = [](const std::string& bytes, const std::string& says) {
    try {
      audio::decode(bytes);
      BOOST_ERROR("decoded: " + says);
    } catch (const audio::AudioDecodeError& e) {
      BOOST_CHECK_MESSAGE(std::string(e.what()).find(says) != std::string::npos, e.what());
    }
  };
  expect("", "empty");
  expect("hello, this is text and not audio at all", "not a readable WAV, FLAC, OGG or MP3");
  auto wav = bytes_of("stereo_44k.wav");
  expect(wav.substr(0, 30), "not a readable");  // a header cut short
  expect(std::string("RIFF\x24\x00\x00\x00WAVEfmt ", 16), "not a readable");
}
