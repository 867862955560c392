// Chatterbox's VoiceEncoder against the reference (tools/parity/chatterbox_ve.py): trim, mel,
// speaker embedding (partials, LSTM, projection, means).
#define BOOST_TEST_MODULE chatterbox_ve_parity
#include <boost/test/unit_test.hpp>

#include <ATen/ops/cosine_similarity.h>

#include "sidecars/chatterbox/voice_encoder.hpp"
#include "tests/support/tensor_compare.hpp"

using namespace warmtts;

namespace {
const std::string dir = std::string(WARMTTS_FIXTURES) + "/chatterbox_ve/";
const auto ref = runtime::SafetensorsFile::open(dir + "reference.safetensors");
const auto weights = runtime::SafetensorsFile::open(dir + "ve.safetensors");
}  // namespace

BOOST_AUTO_TEST_CASE(trim_matches_librosa) {
  auto trimmed = chatterbox::trim_silence(ref.tensor("wav"));
  BOOST_TEST(trimmed.size(0) == ref.tensor("trimmed").size(0));
  testing::check_close(trimmed, ref.tensor("trimmed"), "trimmed", 0);
}

BOOST_AUTO_TEST_CASE(mel_matches) {
  chatterbox::VoiceEncoder ve(chatterbox::VoiceEncoderWeights::load(weights));
  auto mel = ve.mel(ref.tensor("trimmed"));
  auto theirs = ref.tensor("mel");
  testing::check_close(mel, theirs, "mel", 1e-5 * theirs.abs().max().item<double>());
}

BOOST_AUTO_TEST_CASE(speaker_embedding_matches) {
  chatterbox::VoiceEncoder ve(chatterbox::VoiceEncoderWeights::load(weights));
  auto embedding = ve.embed(ref.tensor("wav"));
  testing::check_close(embedding, ref.tensor("embedding"), "embedding", 1e-5);
  double cos = at::cosine_similarity(embedding, ref.tensor("embedding"), 0).item<double>();
  BOOST_TEST(cos > 0.9999, "cosine " << cos);
}
