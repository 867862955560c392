#define BOOST_TEST_MODULE job_input
#include <boost/test/unit_test.hpp>

#include "orchestrator/job_input.hpp"
#include "sidecars/runtime/base64.hpp"

using namespace warmtts;

namespace {

JobInputLimits limits() {
  JobInputLimits l;
  l.models = {"chatterbox", "higgs"};
  l.default_model = "chatterbox";
  l.max_text_chars = 100;
  l.max_voice_bytes = 1000;
  return l;
}

job_spec ok(const std::string& body) {
  auto r = parse_job_request(body, limits());
  if (auto* e = std::get_if<JobInputError>(&r)) BOOST_FAIL("unexpected error: " + e->message);
  return std::get<job_spec>(r);
}

// The error message, which must mention every string in `expect`.
void bad(const std::string& body, std::initializer_list<std::string> expect) {
  auto r = parse_job_request(body, limits());
  BOOST_REQUIRE_MESSAGE(std::holds_alternative<JobInputError>(r), "accepted: " + body);
  const auto& msg = std::get<JobInputError>(r).message;
  for (const auto& e : expect)
    BOOST_CHECK_MESSAGE(msg.find(e) != std::string::npos,
                        "message \"" + msg + "\" lacks \"" + e + "\"");
}

}  // namespace

BOOST_AUTO_TEST_CASE(chatterbox_defaults_are_the_reference_defaults) {
  auto job = ok(R"({"input": {"text": "Hello there."}})");
  const auto& p = job.params;
  BOOST_TEST(p.model == "chatterbox");
  BOOST_TEST(p.exaggeration == 0.5);
  BOOST_TEST(p.cfg_weight == 0.5);
  BOOST_TEST(p.temperature == 0.8);
  BOOST_TEST(p.min_p == 0.05);
  BOOST_TEST(p.top_p == 1.0);
  BOOST_TEST(p.repetition_penalty == 1.2);
  BOOST_TEST(p.max_new_tokens == 1000);
  BOOST_TEST(p.format == "wav");
  BOOST_TEST(p.sample_rate == 24000);
  BOOST_TEST(!p.stream);
  BOOST_TEST(p.voice.kind == "");
  BOOST_TEST(job.execution_timeout_ms == 600000u);
}

BOOST_AUTO_TEST_CASE(higgs_defaults_and_fields) {
  auto job = ok(R"({"input": {"model": "higgs", "text": "Hi", "top_k": 20, "seed": 7,
                    "scene_description": "A hall.", "voice": {"name": "belinda", "transcript": "x"}}})");
  const auto& p = job.params;
  BOOST_TEST(p.model == "higgs");
  BOOST_TEST(p.temperature == 0.7);
  BOOST_TEST(p.top_p == 0.95);
  BOOST_TEST(p.top_k == 20);
  BOOST_TEST(p.ras_win_len == 7);
  BOOST_TEST(p.ras_win_max_num_repeat == 2);
  BOOST_TEST(p.max_new_tokens == 1024);
  BOOST_TEST(p.seed == 7u);
  BOOST_TEST(p.scene_description == "A hall.");
  BOOST_TEST(p.voice.kind == "name");
  BOOST_TEST(p.voice.transcript == "x");
}

BOOST_AUTO_TEST_CASE(model_type_alias_policy_and_voice_audio) {
  auto wav = base64::encode(std::string("RIFF....WAVEfmt "));
  auto job = ok(R"({"input": {"model_type": "higgs", "text": "Hi", "format": "flac",
                    "sample_rate": 16000, "stream": true, "voice": {"audio_base64": ")" +
                wav + R"("}}, "policy": {"executionTimeout": 10000, "ttl": 60000}})");
  BOOST_TEST(job.params.model == "higgs");
  BOOST_TEST(job.params.format == "flac");
  BOOST_TEST(job.params.sample_rate == 16000);
  BOOST_TEST(job.params.stream);
  BOOST_TEST(job.params.voice.kind == "audio");
  BOOST_TEST(job.params.voice.audio == "RIFF....WAVEfmt ");
  BOOST_TEST(job.execution_timeout_ms == 10000u);
}

BOOST_AUTO_TEST_CASE(seed_is_chosen_when_absent) {
  auto a = ok(R"({"input": {"text": "a"}})");
  auto b = ok(R"({"input": {"text": "a"}})");
  BOOST_TEST(a.params.seed != b.params.seed);
  BOOST_TEST(ok(R"({"input": {"text": "a", "seed": 0}})").params.seed == 0u);
}

BOOST_AUTO_TEST_CASE(integers_accept_whole_floats_only) {
  BOOST_TEST(ok(R"({"input": {"text": "a", "max_new_tokens": 20.0}})").params.max_new_tokens == 20);
  bad(R"({"input": {"text": "a", "max_new_tokens": 20.5}})",
      {"input.max_new_tokens", "an integer from 1 to 4096", "20.5"});
}

BOOST_AUTO_TEST_CASE(bad_inputs_name_the_field_and_what_is_allowed) {
  bad("{not json", {"not valid JSON"});
  bad("[1,2]", {"JSON object", "an array"});
  bad(R"({"input": "hello"})", {"input must be a JSON object", "a string"});
  bad(R"({"text": "hello"})", {"\"text\" is not a request field", "input, policy"});
  bad(R"({})", {"input is required"});
  bad(R"({"input": {"text": "a", "speed": 1.5}})", {"input.speed", "not an input field", "exaggeration"});
  bad(R"({"input": {"text": "a", "top_k": 5}})", {"input.top_k", "higgs parameter"});
  bad(R"({"input": {"model": "higgs", "text": "a", "exaggeration": 1}})",
      {"input.exaggeration", "chatterbox parameter"});
  bad(R"({"input": {"text": "a", "temperature": "hot"}})",
      {"input.temperature", "from 0.05 to 5", "a string"});
  bad(R"({"input": {"text": "a", "exaggeration": 3}})", {"input.exaggeration", "from 0.25 to 2", "3"});
  bad(R"({"input": {"text": "a", "top_p": 0}})", {"input.top_p", "greater than 0"});
  bad(R"({"input": {"text": "a", "cfg_weight": null}})", {"input.cfg_weight", "null"});
  bad(R"({"input": {"text": ""}})", {"input.text is empty"});
  bad(R"({"input": {"text": "   \n"}})", {"input.text is empty"});
  bad(R"({"input": {"text": 42}})", {"input.text must be a string"});
  bad(R"({"input": {"text": ")" + std::string(101, 'a') + R"("}})",
      {"input.text", "101 characters", "at most 100"});
  bad(R"({"input": {}})", {"input.text is required"});
  bad(R"({"input": {"text": "a", "model": "bark"}})", {"input.model", "chatterbox, higgs", "bark"});
  bad(R"({"input": {"text": "a", "model": "higgs", "model_type": "higgs"}})", {"same field"});
  bad(R"({"input": {"text": "a", "voice": {"audio_base64": "%%%not base64"}}})",
      {"input.voice.audio_base64", "not valid base64"});
  bad(R"({"input": {"text": "a", "voice": {"audio_base64": ""}}})", {"input.voice.audio_base64 is empty"});
  bad(R"({"input": {"text": "a", "voice": {"audio_base64": ")" +
          base64::encode(std::string(1001, 'x')) + R"("}}})",
      {"input.voice.audio_base64", "at most 1000"});
  bad(R"({"input": {"text": "a", "voice": {"audio_url": "ftp://x/y.wav"}}})",
      {"input.voice.audio_url", "http://"});
  bad(R"({"input": {"text": "a", "voice": {"name": "../etc/passwd"}}})", {"input.voice.name"});
  bad(R"({"input": {"text": "a", "voice": {}}})", {"exactly one of"});
  bad(R"({"input": {"text": "a", "voice": {"name": "a", "audio_url": "http://x/a.wav"}}})",
      {"exactly one of", "got 2"});
  bad(R"({"input": {"text": "a", "voice": {"name": "a", "transcript": "hello"}}})",
      {"input.voice.transcript", "only used by higgs"});
  bad(R"({"input": {"text": "a", "voice": "belinda"}})", {"input.voice must be an object"});
  bad(R"({"input": {"text": "a", "format": "aiff"}})", {"input.format", "wav, flac, ogg, opus, mp3"});
  bad(R"({"input": {"text": "a", "sample_rate": 4000}})", {"input.sample_rate", "8000 to 48000"});
  bad(R"({"input": {"text": "a", "format": "opus", "sample_rate": 22050}})",
      {"input.sample_rate 22050", "opus", "8000, 12000, 16000, 24000, 48000"});
  bad(R"({"input": {"text": "a", "stream": "yes"}})", {"input.stream", "true or false"});
  bad(R"({"input": {"text": "a", "seed": -1}})", {"input.seed", "integer from 0"});
  bad(R"({"input": {"text": "a", "seed": 1.5}})", {"input.seed"});
  bad(R"({"input": {"text": "a"}, "policy": {"executionTimeout": 10}})",
      {"policy.executionTimeout", "from 5000"});
  bad(R"({"input": {"text": "a"}, "policy": {"retries": 1}})", {"policy.retries", "executionTimeout"});
  bad(R"({"input": {"text": "a"}, "webhook": "http://x"})", {"webhook is not supported"});
}
