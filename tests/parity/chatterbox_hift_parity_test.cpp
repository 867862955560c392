// S3Gen's HiFT vocoder against the reference (tools/parity/chatterbox_hift.py).
#define BOOST_TEST_MODULE chatterbox_hift_parity
#include <boost/test/unit_test.hpp>

#include <ATen/CPUGeneratorImpl.h>

#include "sidecars/chatterbox/hift.hpp"
#include "sidecars/runtime/safetensors_file.hpp"
#include "tests/support/tensor_compare.hpp"

using namespace warmtts;

namespace {
const std::string dir = std::string(WARMTTS_FIXTURES) + "/chatterbox_hift/";
const auto ref = runtime::SafetensorsFile::open(dir + "reference.safetensors");

chatterbox::Hift hift() {
  return chatterbox::Hift(
      chatterbox::HiftWeights::load(runtime::SafetensorsFile::open(dir + "s3gen_hift.safetensors").tensors()));
}
}  // namespace

BOOST_AUTO_TEST_CASE(f0_prediction_matches) {
  testing::check_close(hift().predict_f0(ref.tensor("mel")), ref.tensor("f0"), "f0", 1e-4);
}

BOOST_AUTO_TEST_CASE(decoding_the_reference_source_matches) {
  testing::check_close(hift().decode(ref.tensor("mel"), ref.tensor("source")), ref.tensor("wav"), "wav", 1e-4);
}

BOOST_AUTO_TEST_CASE(the_seeded_source_and_the_whole_vocoder_match) {
  auto h = hift();
  auto gen = at::make_generator<at::CPUGeneratorImpl>(5);  // torch.manual_seed(5) in the reference
  auto source = h.source(h.predict_f0(ref.tensor("mel")), gen);
  testing::check_close(source, ref.tensor("source"), "source", 1e-4);
  auto gen2 = at::make_generator<at::CPUGeneratorImpl>(5);
  testing::check_close(h.synthesize(ref.tensor("mel"), gen2), ref.tensor("wav"), "wav end to end", 1e-4);
}
