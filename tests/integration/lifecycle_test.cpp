// Worker lifecycle through the real binary: readiness, failed models, shutdown, metrics, logs,
// limits and the command line.
#define BOOST_TEST_MODULE lifecycle
#include <boost/test/unit_test.hpp>

#include <signal.h>

#include <cstdio>
#include <fstream>
#include <future>
#include <regex>
#include <thread>

#include "tests/support/checkpoint_files.hpp"
#include "tests/support/worker_process.hpp"

using namespace warmtts::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

std::string job(const std::string& text, const std::string& model = "chatterbox") {
  return json{{"input", {{"text", text}, {"model", model}}}}.dump();
}

std::string run_command(const std::string& cmd, int* code = nullptr) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int status = pclose(p);
  if (code) *code = WEXITSTATUS(status);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(ping_goes_204_then_200_after_warm_up_and_no_job_triggers_a_load) {
  WorkerProcess w(test_worker_binary(), {"--models", "chatterbox@cpu"},
                  {{"WARMTTS_TONE_LOAD_MS", "1200"}});
  BOOST_TEST(w.get("/ping").status == 204);
  BOOST_TEST(w.get("/ping").body.empty());
  // A job sent while loading waits in the queue; it does not start a load of its own.
  auto id = w.post("/run", job("early bird")).json()["id"].get<std::string>();
  BOOST_TEST(w.wait_for_ping(200) == 200);
  BOOST_TEST(w.wait_final(id)["status"] == "COMPLETED");
  auto metrics = w.get("/metrics").body;
  BOOST_TEST(metrics.find("warmtts_job_cold_loads_total{model=\"chatterbox\"} 0") != std::string::npos);
  BOOST_TEST(metrics.find("warmtts_model_ready{device=\"cpu\",model=\"chatterbox\"} 1") != std::string::npos);
  for (auto phase : {"resolve", "verify", "read", "to_device", "warmup"})
    BOOST_TEST(metrics.find(std::string("phase=\"") + phase + "\"") != std::string::npos);
  BOOST_TEST(metrics.find("warmtts_cold_start_seconds") != std::string::npos);
  BOOST_TEST(metrics.find("warmtts_model_loads_total{device=\"cpu\",model=\"chatterbox\",result=\"ok\"} 1") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(failed_model_answers_fast_with_its_reason) {
  WorkerProcess w(test_worker_binary(), {"--models", "chatterbox@cpu,higgs@cpu"},
                  {{"WARMTTS_TONE_FAIL_LOAD", "higgs"}});
  BOOST_TEST(w.wait_for_ping(503) == 503);
  auto ping = w.get("/ping").json();
  BOOST_TEST(ping["failed"][0]["model"] == "higgs");
  // Refused at admission: the reply itself is FAILED, where a queued job would come back
  // IN_QUEUE after /runsync's wait (and fail only at the 600 s queue timeout).
  auto j = w.post("/runsync", job("hello", "higgs")).json();
  BOOST_TEST(j["status"] == "FAILED");
  BOOST_TEST(j["error"].get<std::string>().find("higgs@cpu is FAILED") != std::string::npos);
  BOOST_TEST(w.get("/status/" + j["id"].get<std::string>()).json()["status"] == "FAILED");
  // The healthy model still serves.
  BOOST_TEST(w.post("/runsync", job("hello")).json()["status"] == "COMPLETED");
  auto health = w.get("/health").json();
  bool saw_reason = false;
  for (const auto& m : health["models"])
    if (m["model"] == "higgs")
      saw_reason = m["state"] == "FAILED" && !m["reason"].get<std::string>().empty();
  BOOST_TEST(saw_reason);
}

BOOST_AUTO_TEST_CASE(shipped_binary_reports_missing_engines_and_weights_as_failed) {
  WorkerProcess w(WARMTTS_BINARY, {"--chatterbox-sources", "dir:/nonexistent/chatterbox"});
  BOOST_TEST(w.wait_for_ping(503) == 503);
  auto j = w.post("/run", json{{"input", {{"text", "hi"}, {"model", "higgs"}}}}.dump()).json();
  BOOST_TEST(j["status"] == "FAILED");
  BOOST_TEST(j["error"].get<std::string>().find("no engine for model 'higgs'") != std::string::npos);
  // Chatterbox has an engine; without its weights it fails at resolve and says where it looked.
  j = w.post("/run", json{{"input", {{"text", "hi"}, {"model", "chatterbox"}}}}.dump()).json();
  BOOST_TEST(j["status"] == "FAILED");
  BOOST_TEST(j["error"].get<std::string>().find("/nonexistent/chatterbox") != std::string::npos, j.dump());
}

BOOST_AUTO_TEST_CASE(full_queue_is_429_not_a_hang) {
  WorkerProcess w(test_worker_binary(), {"--models", "chatterbox@cpu", "--queue-capacity", "1"});
  w.wait_for_ping(200);
  w.post("/run", job("busy [sleep:1500]"));
  std::this_thread::sleep_for(100ms);
  BOOST_TEST(w.post("/run", job("waits")).status == 200);
  auto r = w.post("/run", job("one too many"));
  BOOST_TEST(r.status == 429);
  BOOST_TEST(r.json()["error"].get<std::string>().find("queue for model chatterbox is full") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(results_expire_after_their_retention) {
  WorkerProcess w(test_worker_binary(), {"--models", "chatterbox@cpu", "--runsync-retention", "1"});
  w.wait_for_ping(200);
  auto id = w.post("/runsync", job("short lived")).json()["id"].get<std::string>();
  BOOST_TEST(w.get("/status/" + id).status == 200);
  std::this_thread::sleep_for(1100ms);
  auto r = w.get("/status/" + id);
  BOOST_TEST(r.status == 404);
  BOOST_TEST(r.json()["error"].get<std::string>().find("retention") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(sigterm_finishes_the_job_in_flight_and_exits_0) {
  WorkerProcess w(test_worker_binary(), {"--models", "chatterbox@cpu"});
  w.wait_for_ping(200);
  auto port = w.port();
  auto pending = std::async(std::launch::async, [port] {
    HttpClient c(port);
    return c.post("/runsync", job("finishing [sleep:1500]"));
  });
  std::this_thread::sleep_for(300ms);
  w.signal(SIGTERM);
  std::this_thread::sleep_for(100ms);
  auto refused = w.post("/run", job("too late"));
  BOOST_TEST(refused.status == 503);
  BOOST_TEST(refused.json()["error"].get<std::string>().find("shutting down") != std::string::npos);
  auto r = pending.get();
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.json()["status"] == "COMPLETED");
  BOOST_TEST((w.wait_exit(10s) == 0));
}

BOOST_AUTO_TEST_CASE(metrics_pass_promtool) {
  WorkerProcess w(test_worker_binary(), {"--models", "chatterbox@cpu,higgs@cpu"});
  w.wait_for_ping(200);
  w.post("/runsync", job("one"));
  w.post("/runsync", json{{"input", {{"text", "two"}, {"stream", true}}}}.dump());
  w.post("/runsync", job("[fail]"));
  w.post("/run", "{bad");
  auto m = w.get("/metrics");
  BOOST_TEST(m.status == 200);
  BOOST_TEST(m.headers["Content-Type"].find("text/plain; version=0.0.4") == 0u);
  for (auto name : {"warmtts_model_state", "warmtts_model_ready", "warmtts_model_load_seconds",
                    "warmtts_model_loads_total", "warmtts_model_restarts_total",
                    "warmtts_job_cold_loads_total", "warmtts_jobs_total", "warmtts_jobs_in_queue",
                    "warmtts_jobs_in_progress", "warmtts_job_queue_seconds",
                    "warmtts_job_inference_seconds", "warmtts_job_duration_seconds",
                    "warmtts_first_audio_seconds", "warmtts_real_time_factor",
                    "warmtts_audio_seconds_total", "warmtts_cold_start_seconds",
                    "warmtts_http_requests_total", "warmtts_http_request_seconds"})
    BOOST_TEST(m.body.find(std::string("# TYPE ") + name + " ") != std::string::npos, name);
  BOOST_TEST(m.body.find("warmtts_jobs_total{model=\"chatterbox\",status=\"FAILED\"} 1") != std::string::npos);
  std::ofstream("/tmp/warmtts-metrics.txt") << m.body;
  int code = -1;
  auto out = run_command("promtool check metrics < /tmp/warmtts-metrics.txt 2>&1", &code);
  BOOST_TEST(code == 0, out);
}

BOOST_AUTO_TEST_CASE(runpod_console_logs_are_json_with_request_ids) {
  WorkerProcess w(test_worker_binary(), {"--models", "chatterbox@cpu"},
                  {{"RUNPOD_ENDPOINT_ID", "test-endpoint"}});
  w.wait_for_ping(200);
  auto id = w.post("/runsync", job("log me")).json()["id"].get<std::string>();
  std::this_thread::sleep_for(100ms);
  bool tagged = false;
  std::istringstream lines(w.log());
  for (std::string line; std::getline(lines, line);) {
    auto j = json::parse(line);  // every line is one JSON object
    BOOST_TEST(j.contains("requestId"));
    BOOST_TEST(j.contains("level"));
    BOOST_TEST(j.contains("message"));
    if (j["requestId"] == id) tagged = true;
  }
  BOOST_TEST(tagged);
}

BOOST_AUTO_TEST_CASE(help_documents_every_option_and_bad_flags_exit_2) {
  int code = -1;
  auto help = run_command(std::string(WARMTTS_BINARY) + " --help", &code);
  BOOST_TEST(code == 0);
  for (auto opt : {"--config", "--host", "--port", "--http-threads", "--max-body-bytes",
                   "--max-header-bytes", "--models", "--default-model", "--queue-capacity",
                   "--queue-timeout", "--execution-timeout", "--run-retention",
                   "--runsync-retention", "--runsync-wait", "--max-text-chars",
                   "--max-voice-bytes", "--shutdown-grace", "--log-level", "--log-json", "serve"})
    BOOST_TEST(help.find(opt) != std::string::npos, opt);
  auto err = run_command(std::string(WARMTTS_BINARY) + " serve --models nope@cpu 2>&1", &code);
  BOOST_TEST(code == 2);
  BOOST_TEST(err.find("unknown model \"nope\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(volume_verify_prints_each_check_and_fails_on_a_broken_model) {
  TempDir tmp;
  auto dims = (tmp.path / "dims.json").string();
  write_text(dims, tiny_chatterbox_dims().dump());
  auto hub = tmp.path / "hub";
  write_tiny_hf_cache("chatterbox", "ResembleAI/chatterbox", hub, dims, "abc123");
  std::string base = std::string(WARMTTS_BINARY) + " volume verify --models chatterbox@cpu" +
                     " --chatterbox-dims " + dims + " --chatterbox-sources dir:" +
                     (tmp.path / "nowhere").string() + ",runpod-cache:" + hub.string();
  int code = -1;
  auto out = run_command(base + " --hash 2>&1", &code);
  BOOST_TEST(code == 0, out);
  for (auto s : {"ResembleAI/chatterbox", "skipped", "is not a folder", "snapshots/abc123",
                 "t3_cfg.safetensors", "tensors", "hash", "=> chatterbox: can load"})
    BOOST_TEST(out.find(s) != std::string::npos, s);
  std::filesystem::remove(std::filesystem::canonical(hub / "models--ResembleAI--chatterbox" /
                                                     "snapshots" / "abc123" / "conds.pt"));
  out = run_command(base + " 2>&1", &code);
  BOOST_TEST(code == 1, out);
  BOOST_TEST(out.find("CANNOT LOAD") != std::string::npos);
  BOOST_TEST(out.find("lacks conds.pt") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_model_whose_weights_are_missing_is_failed_with_the_reason) {
  // The shipped binary resolves weights before it looks for an engine... it has none yet, so
  // this uses the test worker with weight-loading tone engines.
  TempDir tmp;
  WorkerProcess w(test_worker_binary(), {"--models", "higgs@cpu", "--higgs-sources",
                                         "dir:" + (tmp.path / "missing").string()},
                  {{"WARMTTS_TONE_LOADS_WEIGHTS", "1"}});
  BOOST_TEST(w.wait_for_ping(503) == 503);
  auto ping = w.get("/ping").json();
  auto reason = ping["failed"][0]["reason"].get<std::string>();
  BOOST_TEST(reason.find("bosonai/higgs-audio-v2-generation-3B-base not found") != std::string::npos, reason);
  BOOST_TEST(reason.find("is not a folder") != std::string::npos, reason);
}
