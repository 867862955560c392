// DSP against librosa and torch (tools/parity/dsp.py).
#define BOOST_TEST_MODULE dsp_parity
#include <boost/test/unit_test.hpp>

#include <ATen/TensorOperators.h>
#include <ATen/ops/complex.h>

#include "sidecars/runtime/dsp.hpp"
#include "sidecars/runtime/safetensors_file.hpp"
#include "tests/support/tensor_compare.hpp"

using namespace warmtts::runtime;

namespace {

const auto ref = SafetensorsFile::open(std::string(WARMTTS_FIXTURES) + "/dsp/reference.safetensors");

// Relative to the largest reference value.
void close(const at::Tensor& ours, const std::string& name, double tolerance) {
  auto theirs = ref.tensor(name);
  warmtts::testing::check_close(ours, theirs, name,
                                tolerance * std::max(theirs.abs().max().item<double>(), 1e-12));
}
}  // namespace

BOOST_AUTO_TEST_CASE(mel_filterbanks_match_librosa) {
  close(mel_filterbank(16000, 400, 40, 0, 8000), "mel_slaney_16k_400_40", 1e-6);
  close(mel_filterbank(16000, 400, 128, 0, 8000), "mel_slaney_16k_400_128", 1e-6);
  close(mel_filterbank(24000, 1920, 80, 0, 8000), "mel_slaney_24k_1920_80", 1e-6);
  close(mel_filterbank(22050, 1024, 64, 20, 11025, true, false), "mel_htk_22k_1024_64", 1e-6);
}

BOOST_AUTO_TEST_CASE(voice_encoder_power_mel_matches_librosa) {
  close(power_mel(ref.tensor("wav16"), ref.tensor("mel_slaney_16k_400_40"), 400, 160, 400),
        "ve_power_mel", 1e-5);
}

BOOST_AUTO_TEST_CASE(s3_tokenizer_log_mel_matches) {
  close(whisper_log_mel(ref.tensor("wav16"), ref.tensor("mel_slaney_16k_400_128")),
        "whisper_log_mel", 1e-5);
}

BOOST_AUTO_TEST_CASE(s3gen_prompt_mel_matches) {
  auto mel = matcha_log_mel(ref.tensor("wav24"), ref.tensor("mel_slaney_24k_1920_80"));
  BOOST_TEST(mel.size(1) == ref.tensor("wav24").size(0) / 480);  // floor(L / 480) frames
  close(mel, "matcha_log_mel", 1e-5);
}

BOOST_AUTO_TEST_CASE(stft_and_istft_match_torch) {
  auto x = ref.tensor("wav24").narrow(0, 0, 2400);
  auto s = stft(x, 16, 4, 16, true);
  close(at::real(s), "stft16_real", 1e-5);
  close(at::imag(s), "stft16_imag", 1e-5);
  auto back = istft(at::complex(ref.tensor("stft16_real"), ref.tensor("stft16_imag")), 16, 4, 16, true);
  close(back, "istft16", 1e-5);
  BOOST_TEST((back - x).abs().max().item<double>() < 1e-5);  // a real round trip
}
