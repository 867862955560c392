// Soak: 1,000 jobs through the RunPod emulator's public API, served by three worker processes
// while the emulator injects faults on the worker protocol (5% 5xx, 2% 429, 1% dropped
// connections). Every job must end COMPLETED exactly once or FAILED with a reason; none is
// lost, none runs twice, no worker dies. Loopback only; no timing is asserted.
#define BOOST_TEST_MODULE runpod_soak
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdio>

#include "tests/support/runpod_emulator.hpp"
#include "tests/support/worker_process.hpp"

using namespace warmtts::testing;
using namespace std::chrono_literals;
using nlohmann::json;

BOOST_AUTO_TEST_CASE(thousand_jobs_three_workers_with_faults_none_lost_none_twice) {
  const auto t0 = std::chrono::steady_clock::now();
  RunPodEmulatorOptions o;
  o.faults.error_rate = 0.05;
  o.faults.throttle_rate = 0.02;
  o.faults.drop_rate = 0.01;
  o.faults.long_poll_ms = 500;
  o.seed = 20261127;
  RunPodEmulator emu(o);

  std::vector<std::unique_ptr<WorkerProcess>> workers;
  for (int i = 0; i < 3; ++i) {
    auto env = emu.worker_environment("soak-" + std::to_string(i), 200);
    workers.push_back(std::make_unique<WorkerProcess>(
        test_worker_binary(),
        std::vector<std::string>{"--models", "chatterbox@cpu", "--runpod-concurrency",
                                 "chatterbox=2", "--runpod-throttle-wait", "100"},
        env));
  }

  // Submitted over HTTP, as a client would; every 50th job fails on purpose.
  HttpClient api(emu.port());
  const std::string run = "/v2/" + o.endpoint_id + "/run";
  std::vector<std::string> ids;
  for (int i = 0; i < 1000; ++i) {
    std::string text = "soak " + std::to_string(i) + (i % 50 == 7 ? " [fail]" : "");
    auto r = api.post(run, json{{"input", {{"text", text}}}}.dump());
    BOOST_REQUIRE_EQUAL(r.status, 200);
    ids.push_back(r.json()["id"].get<std::string>());
  }

  auto all_final = [&] {
    for (const auto& id : ids) {
      auto s = emu.job(id)->status;
      if (s == "IN_QUEUE" || s == "IN_PROGRESS") return false;
    }
    return true;
  };
  BOOST_TEST(RunPodEmulator::wait_for(all_final, 150s));

  int completed = 0, failed = 0;
  for (const auto& id : ids) {
    auto j = *emu.job(id);
    BOOST_TEST_CONTEXT("job " << id << " " << j.status << " " << j.error) {
      BOOST_TEST(j.deliveries == 1);  // handed out once: none ran twice
      if (j.status == "COMPLETED") {
        ++completed;
        BOOST_TEST(j.results == 1);
        BOOST_TEST(j.output.contains("audio_base64"));
      } else {
        ++failed;
        BOOST_TEST(j.status == "FAILED");
        BOOST_TEST(j.error.find("told to fail") != std::string::npos);
      }
    }
  }
  BOOST_TEST(completed == 980);
  BOOST_TEST(failed == 20);

  // Each worker's own registry: together they ran exactly 1,000 jobs.
  int64_t ran = 0;
  for (auto& w : workers) {
    BOOST_TEST(w->wait_exit(0ms) == -1);  // alive
    auto h = w->get("/health").json();
    ran += h["jobs"]["completed"].get<int64_t>() + h["jobs"]["failed"].get<int64_t>();
  }
  BOOST_TEST(ran == 1000);

  size_t faults = 0;
  for (const auto& r : emu.requests())
    if (r.answered == 0 || r.answered == 429 || r.answered >= 500) ++faults;
  BOOST_TEST(faults > 0);
  std::printf("soak: 1000 jobs (%d COMPLETED, %d FAILED on purpose), 3 workers, %zu faults "
              "injected in %zu worker requests, %.1f s\n",
              completed, failed, faults, emu.requests().size(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}
