// The HTTP job API of a real worker process (tone test engine) on a loopback port.
#define BOOST_TEST_MODULE http_api
#include <boost/test/unit_test.hpp>

#include <thread>

#include "sidecars/runtime/base64.hpp"
#include "tests/support/wav_bytes.hpp"
#include "tests/support/worker_process.hpp"

using namespace warmtts;
using namespace warmtts::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// One worker for the whole suite: chatterbox and higgs replicas, small limits.
struct Worker {
  WorkerProcess process{test_worker_binary(),
                        {"--models", "chatterbox@cpu,higgs@cpu", "--max-text-chars", "200",
                         "--max-body-bytes", "65536", "--log-level", "debug"}};
  Worker() { BOOST_REQUIRE_EQUAL(process.wait_for_ping(200), 200); }
};

Worker& worker() {
  static Worker w;
  return w;
}

json run_body(const std::string& text, json extra = json::object()) {
  json input{{"text", text}};
  input.update(extra);
  return json{{"input", input}};
}

}  // namespace

BOOST_AUTO_TEST_CASE(run_then_status_until_completed) {
  auto& w = worker().process;
  auto r = w.post("/run", run_body("Hello world", {{"seed", 5}}).dump());
  BOOST_TEST(r.status == 200);
  auto id = r.json()["id"].get<std::string>();
  BOOST_TEST(r.json()["status"] == "IN_QUEUE");
  auto s = w.wait_final(id);
  BOOST_TEST(s["status"] == "COMPLETED");
  BOOST_TEST(s["id"] == id);
  BOOST_TEST(s.contains("delayTime"));
  BOOST_TEST(s.contains("executionTime"));
  const auto& out = s["output"];
  BOOST_TEST(out["format"] == "wav");
  BOOST_TEST(out["sample_rate"] == 24000);
  BOOST_TEST(out["model"] == "chatterbox");
  BOOST_TEST(out["seed"] == 5);
  // 11 characters x 80 ms of tone.
  auto wav = *base64::decode(out["audio_base64"].get<std::string>());
  BOOST_TEST(wav_samples(wav) == 11u * 24000 * 8 / 100);
  BOOST_TEST(out["duration_s"].get<double>() == 0.88, boost::test_tools::tolerance(1e-9));
  for (auto k : {"queue", "conditioning", "generation", "vocoding", "total", "rtf"})
    BOOST_TEST(out["timings"].contains(k));
  // Same status again: results stay until their retention passes.
  BOOST_TEST(w.get("/status/" + id).json()["status"] == "COMPLETED");
  BOOST_TEST(w.post("/status/" + id).json()["status"] == "COMPLETED");  // local API uses POST
}

BOOST_AUTO_TEST_CASE(runsync_returns_the_result) {
  auto& w = worker().process;
  auto r = w.post("/runsync", run_body("Hi there", {{"model", "higgs"}, {"format", "flac"},
                                                    {"sample_rate", 16000}}).dump());
  BOOST_TEST(r.status == 200);
  auto j = r.json();
  BOOST_TEST(j["status"] == "COMPLETED");
  BOOST_TEST(j["id"].get<std::string>().rfind("sync-", 0) == 0u);
  BOOST_TEST(j["output"]["model"] == "higgs");
  BOOST_TEST(j["output"]["sample_rate"] == 16000);
  BOOST_TEST(base64::decode(j["output"]["audio_base64"].get<std::string>())->substr(0, 4) == "fLaC");
}

BOOST_AUTO_TEST_CASE(runsync_past_wait_returns_the_id_to_poll) {
  auto& w = worker().process;
  auto t0 = std::chrono::steady_clock::now();
  auto r = w.post("/runsync?wait=1000", run_body("slow job [sleep:2500]").dump());
  auto waited = std::chrono::steady_clock::now() - t0;
  auto j = r.json();
  BOOST_TEST(r.status == 200);
  BOOST_TEST((j["status"] == "IN_PROGRESS" || j["status"] == "IN_QUEUE"));
  BOOST_TEST(!j.contains("output"));
  BOOST_TEST((waited >= 900ms));
  BOOST_TEST(w.wait_final(j["id"])["status"] == "COMPLETED");
  auto bad = w.post("/runsync?wait=5", run_body("x").dump());
  BOOST_TEST(bad.status == 400);
  BOOST_TEST(bad.json()["error"].get<std::string>().find("1000 to 300000") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(stream_chunks_are_delivered_once_each) {
  auto& w = worker().process;
  // 40 characters: 3.2 s of tone, 32 chunks of 100 ms, 50 ms apart.
  auto r = w.post("/run", run_body("a streamed sentence of forty characters [sleep:1600]",
                                   {{"stream", true}}).dump());
  auto id = r.json()["id"].get<std::string>();
  std::vector<int> indices;
  size_t samples = 0;
  std::string status;
  for (int polls = 0; polls < 500; ++polls) {
    auto s = w.get("/stream/" + id).json();
    status = s["status"];
    for (const auto& item : s["stream"]) {
      const auto& out = item["output"];
      indices.push_back(out["chunk"]);
      BOOST_TEST(out["format"] == "pcm_s16le");
      samples += base64::decode(out["audio_base64"].get<std::string>())->size() / 2;
    }
    if (status == "COMPLETED" && s["stream"].empty()) break;
    std::this_thread::sleep_for(30ms);
  }
  BOOST_TEST(status == "COMPLETED");
  BOOST_TEST(indices.size() > 1u);  // it really streamed
  for (size_t i = 0; i < indices.size(); ++i) BOOST_TEST(indices[i] == static_cast<int>(i));
  size_t text_len = std::string("a streamed sentence of forty characters [sleep:1600]").size();
  BOOST_TEST(samples == text_len * 24000 * 8 / 100);
  BOOST_TEST(w.get("/stream/" + id).json()["stream"].empty());
}

BOOST_AUTO_TEST_CASE(cancel_a_queued_and_a_running_job) {
  auto& w = worker().process;
  auto running = w.post("/run", run_body("long [sleep:5000]").dump()).json()["id"].get<std::string>();
  auto queued = w.post("/run", run_body("next").dump()).json()["id"].get<std::string>();
  std::this_thread::sleep_for(100ms);
  BOOST_TEST(w.get("/status/" + running).json()["status"] == "IN_PROGRESS");
  BOOST_TEST(w.get("/status/" + queued).json()["status"] == "IN_QUEUE");
  auto c1 = w.post("/cancel/" + queued);
  BOOST_TEST(c1.status == 200);
  BOOST_TEST(c1.json()["status"] == "CANCELLED");
  auto c2 = w.post("/cancel/" + running).json();
  BOOST_TEST(c2["status"] == "CANCELLED");
  BOOST_TEST(w.get("/status/" + running).json()["status"] == "CANCELLED");
  // The replica is free again within a step.
  auto t0 = std::chrono::steady_clock::now();
  auto next = w.post("/runsync", run_body("after cancel").dump()).json();
  BOOST_TEST(next["status"] == "COMPLETED");
  BOOST_TEST((std::chrono::steady_clock::now() - t0 < 3500ms));  // the cancelled job needed 5 s
  // Cancelling a finished job changes nothing.
  BOOST_TEST(w.post("/cancel/" + next["id"].get<std::string>()).json()["status"] == "COMPLETED");
}

BOOST_AUTO_TEST_CASE(execution_timeout_ends_as_timed_out) {
  auto& w = worker().process;
  json body = run_body("too slow [sleep:9000]", {{"model", "higgs"}});
  body["policy"] = {{"executionTimeout", 5000}};
  auto id = w.post("/run", body.dump()).json()["id"].get<std::string>();
  auto s = w.wait_final(id, 15s);
  BOOST_TEST(s["status"] == "TIMED_OUT");
  BOOST_TEST(s["error"].get<std::string>().find("executionTimeout") != std::string::npos);
  BOOST_TEST(s["executionTime"].get<int>() >= 4900);
}

BOOST_AUTO_TEST_CASE(unknown_ids_are_404_with_a_reason) {
  auto& w = worker().process;
  for (auto path : {"/status/nope", "/stream/nope"}) {
    auto r = w.get(path);
    BOOST_TEST(r.status == 404);
    BOOST_TEST(r.json()["error"].get<std::string>().find("not found") != std::string::npos);
  }
  BOOST_TEST(w.post("/cancel/nope").status == 404);
}

BOOST_AUTO_TEST_CASE(bad_inputs_get_clear_errors_and_the_server_keeps_serving) {
  auto& w = worker().process;
  struct Case {
    std::string body;
    int status;
    std::string says;
  };
  std::vector<Case> cases = {
      {"{\"input\": {\"text\": ", 400, "not valid JSON"},
      {"[]", 400, "JSON object"},
      {R"({"input": "say this"})", 400, "input must be a JSON object"},
      {R"({"input": {"text": "a", "volume": 3}})", 400, "input.volume is not an input field"},
      {R"({"input": {"text": "a", "temperature": "warm"}})", 400, "input.temperature must be a number"},
      {R"({"input": {"text": "a", "cfg_weight": 1.5}})", 400, "input.cfg_weight must be a number from 0 to 1"},
      {R"({"input": {"text": ""}})", 400, "input.text is empty"},
      {R"({"input": {"text": ")" + std::string(201, 'x') + R"("}})", 400, "at most 200"},
      {R"({"input": {"text": "a", "model": "tortoise"}})", 400, "input.model must be one of chatterbox, higgs"},
      {R"({"input": {"text": "a", "voice": {"audio_base64": "!!!"}}})", 400, "not valid base64"},
      {R"({"input": {"text": "a", "format": "wma"}})", 400, "input.format must be one of"},
      {R"({"input": {"text": "a", "stream": 1}})", 400, "input.stream must be true or false"},
      {R"({"input": {"text": "a"}, "webhook": "http://example.invalid"})", 400, "webhook is not supported"},
      {"{\"input\": {\"text\": \"" + std::string(70000, 'x') + "\"}}", 413, "larger than 65536 bytes"},
  };
  for (const auto& c : cases) {
    for (auto route : {"/run", "/runsync"}) {
      auto r = w.post(route, c.body);
      BOOST_TEST_INFO(route << " " << c.body.substr(0, 80));
      BOOST_TEST(r.status == c.status);
      auto err = r.json()["error"].get<std::string>();
      BOOST_TEST_INFO(err);
      BOOST_TEST(err.find(c.says) != std::string::npos);
    }
  }
  // An engine-side rejection and an engine failure fail only their own job.
  auto inv = w.post("/runsync", run_body("[invalid]").dump()).json();
  BOOST_TEST(inv["status"] == "FAILED");
  BOOST_TEST(inv["error"].get<std::string>().find("rejects this input") != std::string::npos);
  auto crash = w.post("/runsync", run_body("[fail]").dump()).json();
  BOOST_TEST(crash["status"] == "FAILED");
  BOOST_TEST(crash["error"].get<std::string>().find("synthesis failed") != std::string::npos);
  // Still serving, and nothing else was lost.
  BOOST_TEST(w.get("/ping").status == 200);
  BOOST_TEST(w.post("/runsync", run_body("still here").dump()).json()["status"] == "COMPLETED");
}

BOOST_AUTO_TEST_CASE(routes_and_methods) {
  auto& w = worker().process;
  BOOST_TEST(w.get("/run").status == 405);
  BOOST_TEST(w.post("/health").status == 405);
  auto r = w.get("/nowhere");
  BOOST_TEST(r.status == 404);
  BOOST_TEST(r.json()["error"].get<std::string>().find("POST /run") != std::string::npos);
  auto h = w.get("/health").json();
  BOOST_TEST(h["jobs"].contains("completed"));
  BOOST_TEST(h["jobs"].contains("inQueue"));
  BOOST_TEST(h["workers"].contains("idle"));
  BOOST_TEST(h["models"].size() == 2u);
  for (const auto& m : h["models"]) {
    BOOST_TEST(m["state"] == "READY");
    BOOST_TEST(m["device"] == "cpu");
    BOOST_TEST(m["load_seconds"].contains("warmup"));
  }
}
