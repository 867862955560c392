#define BOOST_TEST_MODULE audio_encoder
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstring>

#include <sndfile.h>

#include "sidecars/runtime/audio_encoder.hpp"
#include "sidecars/runtime/base64.hpp"

using namespace warmtts;

namespace {

std::vector<float> tone(int rate, double seconds, double freq = 440) {
  std::vector<float> s(static_cast<size_t>(rate * seconds));
  for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<float>(0.5 * std::sin(2 * M_PI * freq * i / rate));
  return s;
}

struct Decoded {
  SF_INFO info{};
  std::vector<float> samples;
};

// Decodes with libsndfile's own reader from memory.
Decoded decode(const std::string& bytes) {
  struct Reader {
    const std::string* data;
    sf_count_t pos = 0;
  } r{&bytes};
  SF_VIRTUAL_IO io{
      [](void* u) -> sf_count_t { return static_cast<Reader*>(u)->data->size(); },
      [](sf_count_t off, int whence, void* u) -> sf_count_t {
        auto* r = static_cast<Reader*>(u);
        r->pos = (whence == SEEK_SET ? 0 : whence == SEEK_CUR ? r->pos : r->data->size()) + off;
        return r->pos;
      },
      [](void* ptr, sf_count_t n, void* u) -> sf_count_t {
        auto* r = static_cast<Reader*>(u);
        n = std::min<sf_count_t>(n, r->data->size() - r->pos);
        std::memcpy(ptr, r->data->data() + r->pos, n);
        r->pos += n;
        return n;
      },
      [](const void*, sf_count_t, void*) -> sf_count_t { return 0; },
      [](void* u) -> sf_count_t { return static_cast<Reader*>(u)->pos; }};
  Decoded d;
  SNDFILE* f = sf_open_virtual(&io, SFM_READ, &d.info, &r);
  BOOST_REQUIRE_MESSAGE(f, sf_strerror(nullptr));
  d.samples.resize(d.info.frames * d.info.channels);
  sf_readf_float(f, d.samples.data(), d.info.frames);
  sf_close(f);
  return d;
}

}  // namespace

BOOST_AUTO_TEST_CASE(wav_is_16_bit_mono_and_round_trips) {
  auto s = tone(24000, 0.5);
  auto bytes = audio::encode(s, 24000, "wav");
  BOOST_TEST(bytes.substr(0, 4) == "RIFF");
  BOOST_TEST(bytes.substr(8, 4) == "WAVE");
  BOOST_TEST(bytes.size() == 44 + s.size() * 2);
  auto d = decode(bytes);
  BOOST_TEST(d.info.samplerate == 24000);
  BOOST_TEST(d.info.channels == 1);
  BOOST_TEST((d.info.format & SF_FORMAT_SUBMASK) == SF_FORMAT_PCM_16);
  BOOST_REQUIRE(d.samples.size() == s.size());
  float worst = 0;
  for (size_t i = 0; i < s.size(); ++i) worst = std::max(worst, std::abs(d.samples[i] - s[i]));
  BOOST_TEST(worst < 1.0f / 32767 + 1e-6f);
}

BOOST_AUTO_TEST_CASE(wav_clips_instead_of_wrapping) {
  std::vector<float> s = {2.0f, -3.0f, 0.0f};
  auto d = decode(audio::encode(s, 8000, "wav"));
  BOOST_TEST(d.samples[0] > 0.99f);
  BOOST_TEST(d.samples[1] < -0.99f);
}

BOOST_AUTO_TEST_CASE(every_output_format_decodes_to_the_same_length) {
  auto s = tone(24000, 1.0);
  for (auto fmt : audio::output_formats()) {
    auto bytes = audio::encode(s, 24000, fmt);
    auto d = decode(bytes);
    BOOST_TEST_INFO("format " << fmt);
    BOOST_TEST(d.info.samplerate == 24000);
    // Lossy codecs pad or trim a little; within 50 ms.
    BOOST_TEST(std::abs(static_cast<long>(d.samples.size()) - 24000) < 1200);
  }
  BOOST_TEST(audio::encode(s, 24000, "flac").substr(0, 4) == "fLaC");
  BOOST_TEST(audio::encode(s, 24000, "ogg").substr(0, 4) == "OggS");
}

BOOST_AUTO_TEST_CASE(rate_rules_per_format) {
  BOOST_TEST(audio::check_output_rate("wav", 22050) == "");
  BOOST_TEST(audio::check_output_rate("opus", 24000) == "");
  BOOST_TEST(audio::check_output_rate("opus", 22050) != "");
  BOOST_TEST(audio::check_output_rate("mp3", 44100) == "");
  BOOST_TEST(audio::check_output_rate("mp3", 20000) != "");
}

BOOST_AUTO_TEST_CASE(resampling_keeps_duration_and_pitch) {
  auto s = tone(24000, 1.0, 440);
  auto r = audio::resample(s, 24000, 16000);
  BOOST_TEST(std::abs(static_cast<long>(r.size()) - 16000) <= 2);
  // Zero crossings per second stay at 2 x 440.
  int crossings = 0;
  for (size_t i = 1000; i < 15000; ++i) crossings += (r[i - 1] < 0) != (r[i] < 0);
  BOOST_TEST(std::abs(crossings - 2 * 440 * 14000 / 16000) <= 2);
}

BOOST_AUTO_TEST_CASE(stream_resampler_matches_one_shot) {
  auto s = tone(24000, 1.0, 300);
  audio::StreamResampler rs(24000, 48000);
  std::vector<float> out;
  for (size_t i = 0; i < s.size(); i += 2400) {
    auto part = rs.process(std::span<const float>(s.data() + i, std::min<size_t>(2400, s.size() - i)));
    out.insert(out.end(), part.begin(), part.end());
  }
  auto tail = rs.flush();
  out.insert(out.end(), tail.begin(), tail.end());
  BOOST_TEST(std::abs(static_cast<long>(out.size()) - 48000) <= 4);
}

BOOST_AUTO_TEST_CASE(pcm_s16le_is_little_endian) {
  std::vector<float> s = {1.0f, -1.0f, 0.0f};
  auto pcm = audio::to_pcm_s16le(s);
  BOOST_REQUIRE(pcm.size() == 6u);
  BOOST_TEST(static_cast<uint8_t>(pcm[0]) == 0xFF);
  BOOST_TEST(static_cast<uint8_t>(pcm[1]) == 0x7F);
  BOOST_TEST(static_cast<uint8_t>(pcm[2]) == 0x01);
  BOOST_TEST(static_cast<uint8_t>(pcm[3]) == 0x80);
}

BOOST_AUTO_TEST_CASE(base64_round_trip_and_rejects) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"})
    BOOST_TEST(*base64::decode(base64::encode(s)) == s);
  BOOST_TEST(base64::encode("foobar") == "Zm9vYmFy");
  BOOST_TEST(base64::encode("fo") == "Zm8=");
  BOOST_TEST(*base64::decode("Zm9v\nYmFy") == "foobar");
  BOOST_TEST(!base64::decode("Zm9"));     // length
  BOOST_TEST(!base64::decode("Zm=v"));    // data after padding
  BOOST_TEST(!base64::decode("Zm9v!!==")); // alphabet
  BOOST_TEST(!base64::decode("data:audio/wav;base64,Zm9v"));
}
