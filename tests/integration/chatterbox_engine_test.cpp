// The shipped `warmtts` binary serving Chatterbox from the tiny official-layout checkpoint
// (tests/fixtures/chatterbox_tiny): warm before the first job, real audio out, cloned voices
// cached, streaming, and clear errors for unusable reference clips.
#define BOOST_TEST_MODULE chatterbox_engine
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <thread>

#include "sidecars/runtime/audio_encoder.hpp"
#include "sidecars/runtime/base64.hpp"
#include "tests/support/hub_emulator.hpp"
#include "tests/support/wav_bytes.hpp"
#include "tests/support/worker_process.hpp"

using namespace warmtts;
using namespace warmtts::testing;
using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string fixture = std::string(WARMTTS_FIXTURES) + "/chatterbox_tiny";
const std::string text = "Hello world. This is a tiny test!";

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

fs::path voice_library() {
  static const fs::path dir = [] {
    auto d = fs::temp_directory_path() / ("warmtts-voices-" + std::to_string(::getpid()));
    fs::create_directories(d);
    fs::copy_file(fixture + "/voice.wav", d / "narrator.wav", fs::copy_options::overwrite_existing);
    return d;
  }();
  return dir;
}

std::vector<std::string> worker_args() {
  return {"--models", "chatterbox@cpu", "--chatterbox-sources", "dir:" + fixture, "--chatterbox-dims",
          fixture + "/dims.json", "--voice-library", voice_library().string()};
}

// One worker for the suite; its /ping answers from the moment it listens are recorded.
struct Worker {
  WorkerProcess process{WARMTTS_BINARY, worker_args()};
  std::vector<int> pings;
  Worker() {
    for (auto deadline = std::chrono::steady_clock::now() + 120s; std::chrono::steady_clock::now() < deadline;) {
      pings.push_back(process.get("/ping").status);
      if (pings.back() != 204) break;
      std::this_thread::sleep_for(5ms);
    }
  }
};

Worker& worker() {
  static Worker w;
  return w;
}

json runsync(const json& input) {
  return worker().process.post("/runsync", json{{"input", input}}.dump()).json();
}

json builtin_job(json extra = json::object()) {
  json input{{"text", text}, {"seed", 11}, {"max_new_tokens", 40}};
  input.update(extra);
  return input;
}

std::string wav_of(const std::vector<float>& samples, int rate) { return audio::encode(samples, rate, "wav"); }


}  // namespace

BOOST_AUTO_TEST_CASE(ping_goes_204_then_200_after_the_warm_up) {
  const auto& pings = worker().pings;
  BOOST_REQUIRE(!pings.empty());
  BOOST_TEST(pings.front() == 204);  // loading and warming
  BOOST_TEST(pings.back() == 200);
}

BOOST_AUTO_TEST_CASE(runsync_returns_the_wav_of_the_expected_length) {
  auto j = runsync(builtin_job());
  BOOST_TEST_REQUIRE(j["status"] == "COMPLETED", j.dump());
  const auto& out = j["output"];
  BOOST_TEST(out["model"] == "chatterbox");
  BOOST_TEST(out["sample_rate"] == 24000);
  // The reference (tools/parity/chatterbox_e2e.py, case builtin_cfg0.5_ex0.5_seed11) gives 32
  // speech tokens of 960 samples each with these settings.
  auto wav = *base64::decode(out["audio_base64"].get<std::string>());
  BOOST_TEST(wav_samples(wav) == 32u * 960);
  BOOST_TEST(out["duration_s"].get<double>() == 1.28, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(metrics_show_a_warm_model_with_every_load_phase) {
  runsync(builtin_job());
  auto metrics = worker().process.get("/metrics").body;
  BOOST_TEST(metrics.find("warmtts_job_cold_loads_total{model=\"chatterbox\"} 0") != std::string::npos, metrics);
  for (auto phase : {"resolve", "verify", "read", "to_device", "warmup"})
    BOOST_TEST(std::regex_search(metrics, std::regex(std::string("warmtts_model_load_seconds\\{[^}]*phase=\"") +
                                                     phase + "\"[^}]*\\} ")),
               phase);
}

BOOST_AUTO_TEST_CASE(a_cloned_voice_is_conditioned_once_and_then_cached) {
  json voice{{"audio_base64", base64::encode(file_bytes(fixture + "/voice.wav"))}};
  for (int i = 0; i < 2; ++i) {
    auto j = runsync(builtin_job({{"voice", voice}, {"seed", 13}}));
    BOOST_TEST_REQUIRE(j["status"] == "COMPLETED", j.dump());
  }
  auto log = worker().process.log();
  size_t conditionings = 0;
  for (size_t at = log.find("new reference clip"); at != std::string::npos; at = log.find("new reference clip", at + 1))
    ++conditionings;
  BOOST_TEST(conditionings == 1u);
}

BOOST_AUTO_TEST_CASE(a_named_voice_comes_from_the_voice_library) {
  auto j = runsync(builtin_job({{"voice", {{"name", "narrator"}}}}));
  BOOST_TEST(j["status"] == "COMPLETED", j.dump());
  j = runsync(builtin_job({{"voice", {{"name", "nobody"}}}}));
  BOOST_TEST(j["status"] == "FAILED");
  BOOST_TEST(j["error"].get<std::string>().find("no voice named 'nobody'") != std::string::npos, j.dump());
}

BOOST_AUTO_TEST_CASE(a_voice_url_is_fetched_through_redirects_and_a_bad_one_fails_clearly) {
  const std::string commit(40, 'a');
  HubEmulator server({{"voices/demo", {commit, {{"voice.wav", {file_bytes(fixture + "/voice.wav"), true}}}}}});
  // An LFS file answers with a redirect to the blob host first.
  auto j = runsync(builtin_job({{"voice", {{"audio_url", server.endpoint() + "/voices/demo/resolve/" + commit + "/voice.wav"}}}}));
  BOOST_TEST(j["status"] == "COMPLETED", j.dump());
  j = runsync(builtin_job({{"voice", {{"audio_url", server.endpoint() + "/voices/demo/resolve/" + commit + "/missing.wav"}}}}));
  BOOST_TEST(j["status"] == "FAILED");
  BOOST_TEST(j["error"].get<std::string>().find("input.voice.audio_url answered HTTP 404") != std::string::npos, j.dump());
}

BOOST_AUTO_TEST_CASE(unusable_reference_clips_fail_clearly_and_the_next_job_works) {
  std::vector<float> tone(24000 / 4);
  for (size_t i = 0; i < tone.size(); ++i) tone[i] = 0.5f * std::sin(0.05f * i);
  const std::pair<std::string, std::string> bad[] = {
      {wav_of(std::vector<float>(24000 * 2, 0.0f), 24000), "silent"},
      {wav_of(tone, 24000), "at least 1.00 s"},
      {std::string(4000, 'x'), "input.voice"},
  };
  for (const auto& [bytes, message] : bad) {
    auto j = runsync(builtin_job({{"voice", {{"audio_base64", base64::encode(bytes)}}}}));
    BOOST_TEST(j["status"] == "FAILED");
    BOOST_TEST(j["error"].get<std::string>().find(message) != std::string::npos, j.dump());
  }
  BOOST_TEST(runsync(builtin_job())["status"] == "COMPLETED");
}

BOOST_AUTO_TEST_CASE(a_streamed_job_sends_chunks_that_add_up_to_its_audio) {
  auto& w = worker().process;
  auto id = w.post("/run", json{{"input", builtin_job({{"stream", true}})}}.dump()).json()["id"].get<std::string>();
  size_t samples = 0, chunks = 0;
  std::string status;
  for (int polls = 0; polls < 1000; ++polls) {
    auto s = w.get("/stream/" + id).json();
    status = s["status"];
    for (const auto& item : s["stream"]) {
      samples += base64::decode(item["output"]["audio_base64"].get<std::string>())->size() / 2;
      ++chunks;
    }
    if ((status == "COMPLETED" || status == "FAILED") && s["stream"].empty()) break;
    std::this_thread::sleep_for(20ms);
  }
  BOOST_TEST(status == "COMPLETED");
  BOOST_TEST(chunks > 1u);  // 32 speech tokens: a first chunk at 25, then the rest
  BOOST_TEST(samples == 32u * 960);
}
