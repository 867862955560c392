// S3Gen's CAMPPlus x-vector against the reference (tools/parity/chatterbox_campplus.py).
#define BOOST_TEST_MODULE chatterbox_campplus_parity
#include <boost/test/unit_test.hpp>

#include "sidecars/chatterbox/campplus.hpp"
#include "sidecars/runtime/safetensors_file.hpp"
#include "tests/support/tensor_compare.hpp"

using namespace warmtts;

BOOST_AUTO_TEST_CASE(features_and_xvector_match) {
  const std::string dir = std::string(WARMTTS_FIXTURES) + "/chatterbox_campplus/";
  auto ref = runtime::SafetensorsFile::open(dir + "reference.safetensors");
  chatterbox::CampPlus model(
      chatterbox::CampPlusWeights::load(runtime::SafetensorsFile::open(dir + "campplus.safetensors").tensors()));
  // Log-energy features: FFT rounding on quiet bins, as in the Kaldi fbank parity test.
  testing::check_close(model.features(ref.tensor("wav")), ref.tensor("features"), "features", 5e-4);
  auto ours = model.embed(ref.tensor("wav"));
  auto theirs = ref.tensor("xvector");
  testing::check_close(ours, theirs, "xvector", 1e-4 * theirs.abs().max().item<double>());
}
