// Kaldi fbank and the sinc resampler against torchaudio (tools/parity/torchaudio_ops.py).
#define BOOST_TEST_MODULE torchaudio_parity
#include <boost/test/unit_test.hpp>

#include <ATen/TensorOperators.h>

#include "sidecars/runtime/dsp.hpp"
#include "sidecars/runtime/safetensors_file.hpp"
#include "tests/support/tensor_compare.hpp"

using namespace warmtts::runtime;

namespace {
const auto ref = SafetensorsFile::open(std::string(WARMTTS_FIXTURES) + "/torchaudio/reference.safetensors");

void close(const at::Tensor& ours, const std::string& name, double tolerance) {
  warmtts::testing::check_close(ours, ref.tensor(name), name, tolerance);
}
}  // namespace

BOOST_AUTO_TEST_CASE(kaldi_fbank_matches_torchaudio) {
  // Log energies: 5e-4 absolute is 0.05 % in energy, the FFT libraries' rounding on quiet bins.
  close(kaldi_fbank(ref.tensor("wav16"), 80), "fbank80", 5e-4);
}

BOOST_AUTO_TEST_CASE(sinc_resample_matches_torchaudio) {
  // float32 convolutions summed in another order: a few ulps.
  close(sinc_resample(ref.tensor("wav24"), 24000, 16000), "resample_24k_16k", 1e-5);
  close(sinc_resample(ref.tensor("wav24"), 44100, 24000), "resample_44k_24k", 1e-5);
}
