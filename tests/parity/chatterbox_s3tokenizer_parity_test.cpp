// Chatterbox's S3 tokenizer against the reference (tools/parity/chatterbox_s3tokenizer.py).
#define BOOST_TEST_MODULE chatterbox_s3tokenizer_parity
#include <boost/test/unit_test.hpp>

#include "sidecars/chatterbox/s3_tokenizer.hpp"
#include "sidecars/runtime/safetensors_file.hpp"
#include "tests/support/tensor_compare.hpp"

using namespace warmtts;

namespace {
const std::string dir = std::string(WARMTTS_FIXTURES) + "/chatterbox_s3tokenizer/";
const auto ref = runtime::SafetensorsFile::open(dir + "reference.safetensors");
chatterbox::S3Tokenizer tokenizer() {
  return chatterbox::S3Tokenizer(
      chatterbox::S3TokenizerWeights::load(runtime::SafetensorsFile::open(dir + "s3gen_tokenizer.safetensors").tensors()));
}
}  // namespace

BOOST_AUTO_TEST_CASE(log_mel_and_encoder_match) {
  auto tok = tokenizer();
  auto mel = tok.log_mel(ref.tensor("wav"));
  testing::check_close(mel, ref.tensor("mel"), "mel", 1e-5);
  testing::check_close(tok.encode(ref.tensor("mel")), ref.tensor("hidden"), "hidden", 1e-4);
}

BOOST_AUTO_TEST_CASE(tokens_are_identical) {
  auto tok = tokenizer();
  BOOST_TEST(tok.tokenize(ref.tensor("wav")).equal(ref.tensor("tokens")));
  BOOST_TEST(tok.tokenize(ref.tensor("wav"), 20).equal(ref.tensor("tokens_max_len_20")));
}
