// Checks on the WAV files a worker returns (16-bit mono PCM from audio::encode).
#pragma once

#include <string>

#include <boost/test/unit_test.hpp>

namespace warmtts::testing {

// Samples in the data chunk of a 16-bit mono WAV file with the canonical 44-byte header.
inline size_t wav_samples(const std::string& wav) {
  BOOST_REQUIRE(wav.size() >= 44);
  BOOST_REQUIRE(wav.substr(0, 4) == "RIFF");
  return (wav.size() - 44) / 2;
}

}  // namespace warmtts::testing
