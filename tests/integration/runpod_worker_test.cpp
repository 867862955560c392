// The RunPod queue worker end to end: the real worker program (with the tone test engine)
// against the RunPod emulator, one test per item of the emulator checklist
// (runpod-protocol.md §10), plus the result-size guard.
#define BOOST_TEST_MODULE runpod_worker
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/support/runpod_emulator.hpp"
#include "tests/support/worker_process.hpp"

using namespace warmtts::testing;
using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

using Env = std::map<std::string, std::string>;

// A queue worker serving one tone-engine replica, pointed at `emu` as worker `pod`.
std::unique_ptr<WorkerProcess> start_queue_worker(RunPodEmulator& emu, const std::string& pod,
                                                  std::vector<std::string> args = {},
                                                  Env extra = {}, int ping_ms = 10'000) {
  Env env = emu.worker_environment(pod, ping_ms);
  for (auto& [k, v] : extra) env[k] = v;
  std::vector<std::string> all = {"--models", "chatterbox@cpu", "--runpod-throttle-wait", "100"};
  all.insert(all.end(), args.begin(), args.end());
  return std::make_unique<WorkerProcess>(test_worker_binary(), all, env);
}

bool is_final(const std::string& s) {
  return s == "COMPLETED" || s == "FAILED" || s == "CANCELLED" || s == "TIMED_OUT";
}

RunPodEmulator::Job wait_final(RunPodEmulator& emu, const std::string& id,
                               std::chrono::milliseconds timeout = 30s) {
  RunPodEmulator::wait_for([&] { return is_final(emu.job(id)->status); }, timeout);
  return *emu.job(id);
}

bool wait_status(RunPodEmulator& emu, const std::string& id, const std::string& status) {
  return RunPodEmulator::wait_for([&] { return emu.job(id)->status == status; });
}

std::vector<RunPodEmulator::Request> requests_of(const RunPodEmulator& emu,
                                                 const std::string& call,
                                                 const std::string& worker) {
  std::vector<RunPodEmulator::Request> out;
  for (auto& r : emu.requests(call))
    if (r.worker == worker) out.push_back(r);
  return out;
}

struct ProgramRun {
  int code = -1;
  std::string output;
};

// Runs the test worker program to its end in `cwd` with `env` added.
ProgramRun run_program(std::vector<std::string> args, const fs::path& cwd, Env env = {}) {
  char log_path[] = "/tmp/warmtts-run-XXXXXX";
  int fd = mkstemp(log_path);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fd, 1);
    dup2(fd, 2);
    close_range(3, ~0u, 0);
    if (chdir(cwd.c_str()) != 0) _exit(126);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<std::string> argv_s = {test_worker_binary()};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv_s[0].c_str(), argv.data());
    _exit(127);
  }
  close(fd);
  int status = 0;
  waitpid(pid, &status, 0);
  ProgramRun r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::ifstream in(log_path);
  std::stringstream ss;
  ss << in.rdbuf();
  r.output = ss.str();
  unlink(log_path);
  return r;
}

fs::path fresh_dir(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("warmtts-" + name + "-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

}  // namespace

// Checklist 1: env-driven mode switch; $ID/$RUNPOD_POD_ID substitution; query appended
// correctly; raw Authorization.
BOOST_AUTO_TEST_CASE(env_switches_mode_substitutes_ids_appends_queries_and_sends_the_raw_key) {
  RunPodEmulator emu;
  const std::string base = emu.base_url();
  // Every token in every template, and templates with and without a query.
  Env env = emu.worker_environment("pod-sub");
  env["RUNPOD_WEBHOOK_GET_JOB"] = base + "/job-take/$RUNPOD_POD_ID?gpu=EMULATED+GPU";
  env["RUNPOD_WEBHOOK_POST_OUTPUT"] = base + "/job-done/$RUNPOD_POD_ID/$ID";
  env["RUNPOD_WEBHOOK_POST_STREAM"] = base + "/job-stream/$RUNPOD_POD_ID/$ID?";
  env["RUNPOD_WEBHOOK_PING"] = base + "/ping/$ID";
  env["RUNPOD_PING_INTERVAL"] = "100";
  WorkerProcess w(test_worker_binary(), {"--models", "chatterbox@cpu"}, env);

  auto id = emu.submit({{"text", "hello"}});
  auto sid = emu.submit({{"text", "streamed"}, {"stream", true}});
  BOOST_TEST(wait_final(emu, id).status == "COMPLETED");
  BOOST_TEST(wait_final(emu, sid).status == "COMPLETED");
  BOOST_TEST(RunPodEmulator::wait_for([&] { return !requests_of(emu, "ping", "pod-sub").empty(); }));

  const std::string path = "/v2/" + emu.options().endpoint_id;
  auto takes = requests_of(emu, "job-take", "pod-sub");
  BOOST_REQUIRE(!takes.empty());
  BOOST_TEST(takes[0].target == path + "/job-take/pod-sub?gpu=EMULATED+GPU&job_in_progress=0");
  auto done = emu.requests("job-done");
  bool saw_plain_done = false;
  for (const auto& r : done)
    if (r.job_id == id) saw_plain_done = r.target == path + "/job-done/pod-sub/" + id + "?isStream=false";
  BOOST_TEST(saw_plain_done);
  auto streams = emu.requests("job-stream");
  BOOST_REQUIRE(!streams.empty());
  BOOST_TEST(streams[0].target == path + "/job-stream/pod-sub/" + sid + "?isStream=true");
  auto pings = requests_of(emu, "ping", "pod-sub");
  BOOST_TEST(pings[0].target.rfind(path + "/ping/pod-sub?", 0) == 0);
  // The key exactly as RUNPOD_AI_API_KEY holds it, on every call.
  for (const auto& r : emu.requests())
    BOOST_TEST(r.headers.at("authorization") == emu.options().api_key);

  // Without RUNPOD_WEBHOOK_GET_JOB the same program serves the local API and takes nothing.
  auto before = emu.requests().size();
  WorkerProcess local(test_worker_binary(), {"--models", "chatterbox@cpu"});
  BOOST_TEST(local.post("/runsync", R"({"input": {"text": "local"}})").json()["status"] == "COMPLETED");
  auto after = emu.requests();
  for (size_t i = before; i < after.size(); ++i) BOOST_TEST(after[i].worker == "pod-sub");
}

// Checklist 2: one outstanding take; 204/400/429/5xx/non-JSON/empty answers; the batch
// endpoint only with more than one free slot; invalid input answered, not dropped.
BOOST_AUTO_TEST_CASE(one_take_at_a_time_every_answer_handled_and_batches_only_with_free_slots) {
  RunPodEmulator emu;
  emu.script("job-take", {{204, "", ""},
                          {400, "application/json", R"({"error":"flashboot"})"},
                          {429, "application/json", R"({"error":"slow down"})"},
                          {500, "application/json", R"({"error":"boom"})"},
                          {502, "text/html", "<html>bad gateway</html>"},
                          {200, "text/plain", "no job for you"},
                          {200, "application/json", ""},
                          {200, "application/json", "{not json"},
                          {0, "", ""}});
  auto w = start_queue_worker(emu, "pod-one");
  auto good = emu.submit({{"text", "after the storm"}});
  auto bad = emu.submit({{"text", "x"}, {"temprature", 0.5}});
  auto g = wait_final(emu, good);
  auto b = wait_final(emu, bad);
  BOOST_TEST(g.status == "COMPLETED");
  BOOST_TEST(b.status == "FAILED");
  BOOST_TEST(b.error.find("temprature") != std::string::npos);
  BOOST_TEST(emu.max_open_takes("pod-one") == 1);
  BOOST_TEST(requests_of(emu, "job-take-batch", "pod-one").empty());
  for (const auto& r : requests_of(emu, "job-take", "pod-one")) {
    BOOST_TEST(r.query.count("job_in_progress") == 1);
    BOOST_TEST(r.query.count("batch_size") == 0);
  }
  BOOST_TEST(w->wait_exit(0ms) == -1);  // none of it hurt the worker

  // Three slots free: the batch endpoint, still one request at a time.
  auto wb = start_queue_worker(emu, "pod-batch", {"--runpod-concurrency", "chatterbox=3"});
  BOOST_TEST(RunPodEmulator::wait_for(
      [&] { return !requests_of(emu, "job-take-batch", "pod-batch").empty(); }));
  auto batch = requests_of(emu, "job-take-batch", "pod-batch");
  BOOST_TEST(batch[0].query.at("batch_size") == "3");
  BOOST_TEST(batch[0].target.find("/job-take-batch/pod-batch?gpu=EMULATED+GPU&batch_size=3") !=
             std::string::npos);
  w.reset();  // only the batch worker takes from now on
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(emu.submit({{"text", "batch [sleep:200]"}}));
  for (const auto& id : ids) BOOST_TEST(wait_final(emu, id).status == "COMPLETED");
  BOOST_TEST(emu.max_open_takes("pod-batch") == 1);
}

// Checklist 3: job-done bodies (output, error, stopPod), isStream, X-Request-ID, retries on
// 5xx and lost connections, JSON in the body.
BOOST_AUTO_TEST_CASE(job_done_bodies_carry_request_id_and_are_retried_until_accepted) {
  RunPodEmulator emu;
  auto w = start_queue_worker(emu, "pod-done");
  emu.script("job-done", {{500, "application/json", "{}"}, {503, "text/plain", "busy"}, {0, "", ""}});
  auto id = emu.submit({{"text", "retried"}});
  auto j = wait_final(emu, id);
  BOOST_TEST(j.status == "COMPLETED");
  BOOST_TEST(j.results == 1);
  BOOST_TEST(!j.result_is_stream);
  BOOST_TEST(j.output["audio_base64"].get<std::string>().size() > 100);
  BOOST_TEST(j.output["format"] == "wav");
  int tries = 0;
  for (const auto& r : emu.requests("job-done")) {
    if (r.job_id != id) continue;
    ++tries;
    BOOST_TEST(r.headers.at("x-request-id") == id);
    BOOST_TEST(r.headers.at("content-type") == "application/json");
    BOOST_TEST(r.query.at("isStream") == "false");
    auto body = json::parse(r.body, nullptr, false);
    BOOST_TEST((body.is_object() && body.contains("output")));
  }
  BOOST_TEST(tries == 4);  // 500, 503, dropped, accepted

  auto failing = emu.submit({{"text", "[fail]"}});
  auto f = wait_final(emu, failing);
  BOOST_TEST(f.status == "FAILED");
  BOOST_TEST(f.error.find("told to fail") != std::string::npos);
  BOOST_TEST(f.output.is_null());

  // --runpod-refresh-worker: the result asks for a fresh worker and the process ends.
  w.reset();
  auto fresh = start_queue_worker(emu, "pod-fresh", {"--runpod-refresh-worker"});
  auto last = emu.submit({{"text", "last one"}});
  auto l = wait_final(emu, last);
  BOOST_TEST(l.status == "COMPLETED");
  BOOST_TEST(l.stop_pod);
  BOOST_TEST(fresh->wait_exit(20s) == 0);
}

// Checklist 4: progress visible on /status; chunks to job-stream; aggregate or summary.
BOOST_AUTO_TEST_CASE(stream_chunks_progress_on_status_and_aggregate_or_summary_at_the_end) {
  RunPodEmulator emu;
  auto w = start_queue_worker(emu, "pod-stream", {"--runpod-progress-interval", "50"});
  auto id = emu.submit({{"text", "a streamed sentence of some length [sleep:1500]"}, {"stream", true}});
  HttpClient api(emu.port());
  const std::string path = "/v2/" + emu.options().endpoint_id;
  json progress;
  BOOST_TEST(RunPodEmulator::wait_for([&] {
    auto s = api.get(path + "/status/" + id).json();
    if (s["status"] == "IN_PROGRESS" && s.contains("output")) progress = s["output"];
    return !progress.is_null() || is_final(s["status"]);
  }));
  BOOST_TEST(progress["chunks_streamed"].get<int>() >= 1);
  auto first = api.get(path + "/stream/" + id).json();  // chunks so far, while running
  auto j = wait_final(emu, id);
  BOOST_TEST(j.status == "COMPLETED");
  BOOST_TEST(j.result_is_stream);
  BOOST_TEST(j.progress_updates >= 1);
  BOOST_TEST(j.stream.size() > 3);
  BOOST_TEST(j.output["chunks"].get<size_t>() == j.stream.size());
  BOOST_TEST(!j.output.contains("audio_base64"));  // the audio went out in the chunks
  BOOST_TEST(j.stream[0]["format"] == "pcm_s16le");
  auto rest = api.get(path + "/stream/" + id).json();
  BOOST_TEST(first["stream"].size() + rest["stream"].size() == j.stream.size());
  BOOST_TEST(rest["status"] == "COMPLETED");

  w.reset();
  auto agg = start_queue_worker(emu, "pod-agg", {"--runpod-aggregate-stream"});
  auto aid = emu.submit({{"text", "aggregated chunks"}, {"stream", true}});
  auto a = wait_final(emu, aid);
  BOOST_TEST(a.status == "COMPLETED");
  BOOST_TEST(a.result_is_stream);
  BOOST_REQUIRE(a.output.is_array());
  BOOST_TEST(a.output.size() == a.stream.size());
  BOOST_TEST(a.output[0] == a.stream[0]);
}

// Checklist 5: ping cadence and parameters with the jobs in progress; unhealthy report when a
// model fails at start-up.
BOOST_AUTO_TEST_CASE(pings_name_jobs_in_progress_and_a_failed_start_is_reported_unhealthy) {
  RunPodEmulator emu;
  auto w = start_queue_worker(emu, "pod-ping", {}, {}, 100);
  auto id = emu.submit({{"text", "long enough [sleep:1500]"}});
  BOOST_TEST(RunPodEmulator::wait_for([&] {
    for (const auto& p : requests_of(emu, "ping", "pod-ping"))
      if (p.query.count("job_id") && p.query.at("job_id") == id) return true;
    return false;
  }));
  BOOST_TEST(wait_final(emu, id).status == "COMPLETED");
  auto pings = requests_of(emu, "ping", "pod-ping");
  BOOST_TEST(pings.size() >= 2);
  for (const auto& p : pings) BOOST_TEST(!p.query.at("runpod_version").empty());
  // Without jobs, no job_id at all.
  BOOST_TEST(RunPodEmulator::wait_for([&] {
    auto after = requests_of(emu, "ping", "pod-ping");
    return after.size() > pings.size() && after.back().query.count("job_id") == 0;
  }));

  auto broken = start_queue_worker(emu, "pod-broken", {},
                                   {{"WARMTTS_TONE_FAIL_LOAD", "chatterbox"},
                                    {"WARMTTS_TONE_LOAD_MS", "400"}});
  BOOST_TEST(broken->wait_exit(20s) == 1);
  auto reports = requests_of(emu, "ping", "pod-broken");
  bool unhealthy = false;
  for (const auto& p : reports)
    if (p.query.count("status") && p.query.at("status") == "unhealthy")
      unhealthy = p.query.at("check") == "model_load" &&
                  p.query.at("reason").find("chatterbox@cpu is FAILED") != std::string::npos;
  BOOST_TEST(unhealthy);
  BOOST_TEST(requests_of(emu, "job-take", "pod-broken").empty());
}

// Checklist 6: job-stop cancels the job and posts nothing for it; SIGTERM drains.
BOOST_AUTO_TEST_CASE(job_stop_cancels_without_a_result_and_sigterm_finishes_jobs_in_flight) {
  RunPodEmulator emu;
  auto w = start_queue_worker(emu, "pod-stop", {"--runpod-concurrency", "chatterbox=2"});
  auto id = emu.submit({{"text", "stop me [sleep:20000]"}});
  BOOST_REQUIRE(wait_status(emu, id, "IN_PROGRESS"));
  HttpClient api(emu.port());
  const std::string path = "/v2/" + emu.options().endpoint_id;
  BOOST_TEST(api.post(path + "/cancel/" + id).json()["status"] == "CANCELLED");
  // The worker's own registry shows the job cancelled in its model actor.
  BOOST_TEST(RunPodEmulator::wait_for(
      [&] { return w->get("/status/" + id).json()["status"] == "CANCELLED"; }, 10s));
  auto next = emu.submit({{"text", "still serving"}});
  BOOST_TEST(wait_final(emu, next).status == "COMPLETED");
  auto stopped = *emu.job(id);
  BOOST_TEST(stopped.results == 0);
  BOOST_TEST(stopped.late_results == 0);
  for (const auto& r : emu.requests("job-done")) BOOST_TEST(r.job_id != id);

  // SIGTERM with two jobs running: both finish and are posted, then exit 0, nothing new taken.
  auto a = emu.submit({{"text", "drain a [sleep:800]"}});
  auto b = emu.submit({{"text", "drain b [sleep:800]"}});
  BOOST_REQUIRE(wait_status(emu, a, "IN_PROGRESS"));
  BOOST_REQUIRE(wait_status(emu, b, "IN_PROGRESS"));
  w->signal(SIGTERM);
  BOOST_TEST(w->wait_exit(20s) == 0);
  for (const auto& jid : {a, b}) {
    auto j = *emu.job(jid);
    BOOST_TEST(j.status == "COMPLETED");
    BOOST_TEST(j.results == 1);
  }
  auto after = emu.submit({{"text", "nobody takes me"}});
  BOOST_TEST(emu.job(after)->status == "IN_QUEUE");
  BOOST_TEST(w->log().find("RunPod queue worker stopped") != std::string::npos);
}

// Checklist 7: RunPod's local test mode and exit codes; the local /runsync server.
BOOST_AUTO_TEST_CASE(local_test_input_runs_one_job_with_runpods_exit_codes) {
  auto dir = fresh_dir("test-input");
  const std::vector<std::string> models = {"--models", "chatterbox@cpu"};
  auto with = [&](std::vector<std::string> extra) {
    auto a = models;
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  auto ok = run_program(with({"--test_input", R"({"input": {"text": "hello"}})"}), dir);
  BOOST_TEST(ok.code == 0);
  BOOST_TEST(ok.output.find(R"(Job result: {"output":{)") != std::string::npos);
  auto failed = run_program(with({"--test_input", R"({"input": {"text": "[fail]"}})"}), dir);
  BOOST_TEST(failed.code == 1);
  BOOST_TEST(failed.output.find(R"(Job result: {"error":)") != std::string::npos);
  auto invalid = run_program(with({"--test_input", R"({"input": {"text": "x", "speed": 2}})"}), dir);
  BOOST_TEST(invalid.code == 1);
  BOOST_TEST(invalid.output.find("speed") != std::string::npos);
  auto no_input = run_program(with({"--test_input", R"({"text": "x"})"}), dir);
  BOOST_TEST(no_input.code == 1);
  // Nothing given and no ./test_input.json: exit 1 with what to do.
  auto nothing = run_program(models, dir);
  BOOST_TEST(nothing.code == 1);
  BOOST_TEST(nothing.output.find("warmtts serve") != std::string::npos);
  // ./test_input.json; the flag beats it.
  std::ofstream(dir / "test_input.json") << R"({"input": {"text": "from the file"}})";
  BOOST_TEST(run_program(models, dir).code == 0);
  BOOST_TEST(run_program(with({"--test_input", R"({"input": {"text": "[fail]"}})"}), dir).code == 1);
  // RUNPOD_WEBHOOK_GET_JOB without the URLs a queue worker needs: a clear start-up error.
  auto half = run_program(models, dir, {{"RUNPOD_WEBHOOK_GET_JOB", "http://127.0.0.1:1/job-take/$ID"}});
  BOOST_TEST(half.code == 2);
  BOOST_TEST(half.output.find("RUNPOD_WEBHOOK_POST_OUTPUT") != std::string::npos);
  fs::remove_all(dir);

  // `serve`: RunPod's local API server.
  WorkerProcess local(test_worker_binary(), models);
  auto r = local.post("/runsync", R"({"input": {"text": "local server"}})").json();
  BOOST_TEST(r["status"] == "COMPLETED");
}

// A result over the platform's size limit becomes an error that says what to do instead.
BOOST_AUTO_TEST_CASE(a_result_too_large_for_runpod_is_an_error_that_suggests_the_way_out) {
  RunPodEmulator emu;
  auto w = start_queue_worker(emu, "pod-big", {"--runpod-max-result-bytes", "16384"});
  auto id = emu.submit({{"text", "a sentence long enough to make more than four kilobytes"}});
  auto j = wait_final(emu, id);
  BOOST_TEST(j.status == "FAILED");
  for (auto word : {"--runpod-max-result-bytes", "\"format\"", "\"stream\"", "upload"})
    BOOST_TEST(j.error.find(word) != std::string::npos, word);
  // The worker goes on.
  auto small = emu.submit({{"text", "ok"}});
  BOOST_TEST(wait_final(emu, small).status == "COMPLETED");
  auto metrics = w->get("/metrics").body;
  BOOST_TEST(metrics.find(R"(warmtts_runpod_requests_total{call="job-done",code="200"} 2)") !=
             std::string::npos);
}

// The emulator's public API with a real worker behind it: /runsync, /retry of a FAILED job
// (the same id comes to the worker a second time), /purge-queue and /health.
BOOST_AUTO_TEST_CASE(public_api_runsync_retry_purge_and_health_through_a_worker) {
  RunPodEmulator emu;
  auto w = start_queue_worker(emu, "pod-api");
  HttpClient api(emu.port());
  const std::string path = "/v2/" + emu.options().endpoint_id;
  auto sync = api.post(path + "/runsync?wait=20000", R"({"input": {"text": "in sync"}})").json();
  BOOST_TEST(sync["status"] == "COMPLETED");
  BOOST_TEST(sync["id"].get<std::string>().rfind("sync-", 0) == 0);
  BOOST_TEST(sync["output"].contains("audio_base64"));
  BOOST_TEST(sync["workerId"] == "pod-api");

  auto id = api.post(path + "/run", R"({"input": {"text": "[fail]"}})").json()["id"].get<std::string>();
  BOOST_TEST(wait_final(emu, id).status == "FAILED");
  BOOST_TEST(api.post(path + "/retry/" + id).json()["status"] == "IN_QUEUE");
  BOOST_TEST(RunPodEmulator::wait_for([&] { return emu.job(id)->deliveries == 2; }));
  auto again = wait_final(emu, id);
  BOOST_TEST(again.status == "FAILED");  // ran again, and failed again, answered again
  BOOST_TEST(again.results == 2);
  BOOST_TEST(again.retried == 1);
  BOOST_TEST(api.post(path + "/retry/" + sync["id"].get<std::string>()).status == 400);

  w->signal(SIGTERM);
  BOOST_TEST(w->wait_exit(20s) == 0);
  for (int i = 0; i < 3; ++i) api.post(path + "/run", R"({"input": {"text": "queued"}})");
  auto health = api.get(path + "/health").json();
  BOOST_TEST(health["jobs"]["inQueue"] == 3);
  BOOST_TEST(health["jobs"]["completed"] == 1);
  BOOST_TEST(health["jobs"]["failed"] == 1);
  BOOST_TEST(health["jobs"]["retried"] == 1);
  BOOST_TEST(api.post(path + "/purge-queue").json()["removed"] == 3);
  BOOST_TEST(api.get(path + "/health").json()["jobs"]["inQueue"] == 0);
  BOOST_TEST(api.get(path + "/status/unknown-id").status == 404);
}
