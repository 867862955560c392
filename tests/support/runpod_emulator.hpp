// TEST DOUBLE. A loopback HTTP server that plays RunPod (runpod-protocol.md §2-§5, §10):
//   public endpoint API   POST /v2/{ep}/run, /runsync[?wait=ms], /cancel/{id}, /retry/{id},
//                         /purge-queue; GET /v2/{ep}/status/{id}, /stream/{id}, /health
//   worker side           GET  /v2/{ep}/job-take/{worker}, /job-take-batch/{worker}?batch_size=N
//                              (long-polls), /ping/{worker}, /job-stop/{worker} (long-poll)
//                         POST /v2/{ep}/job-done/{worker}/{job}, /job-stream/{worker}/{job}
// with fault injection on the worker side (added latency, shares of 5xx and 429 answers and of
// dropped connections, long-poll length) and answers scripted by tests. It records every
// worker-side request and every job's history so that tests can check what a worker did.
// The standalone program tests/tools/runpod_emulator_main.cpp serves the same thing.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace warmtts::testing {

struct RunPodFaults {
  int latency_ms = 0;         // added before every worker-side answer
  double error_rate = 0;      // share of worker-side calls answered 500
  double throttle_rate = 0;   // share answered 429
  double drop_rate = 0;       // share whose connection is closed without an answer
  int long_poll_ms = 2000;    // job-take and job-stop hold this long without news, then 204
};

struct RunPodEmulatorOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0: any free port
  std::string endpoint_id = "emulated";
  std::string api_key = "emulator-key";  // workers must send it raw; clients raw or as Bearer
  RunPodFaults faults;
  uint64_t seed = 1;  // of the fault draws
};

class RunPodEmulator {
 public:
  // One worker-side request as it arrived.
  struct Request {
    std::string call;    // job-take, job-take-batch, job-done, job-stream, ping, job-stop
    std::string target;  // path and query as sent
    std::string worker;  // worker id from the path
    std::string job_id;  // job-done, job-stream
    std::map<std::string, std::string> query;    // decoded
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;    // first 64 KiB
    int answered = 0;    // HTTP status sent, 0 when the connection was dropped
    std::chrono::steady_clock::time_point at;
  };

  // A job's history.
  struct Job {
    std::string id;
    std::string status;  // IN_QUEUE, IN_PROGRESS, COMPLETED, FAILED, CANCELLED, TIMED_OUT
    nlohmann::json input;
    nlohmann::json output;  // null when none
    std::string error;
    std::string worker;           // who took it last
    int deliveries = 0;           // times handed to a worker
    int results = 0;              // final job-done posts accepted
    int late_results = 0;         // job-done posts for a job no longer IN_PROGRESS (ignored)
    int progress_updates = 0;
    bool stop_pod = false;
    bool result_is_stream = false;  // isStream of the accepted result
    std::vector<nlohmann::json> stream;  // every job-stream output, in order
    size_t stream_delivered = 0;         // handed out by /stream
    int retried = 0;
    std::chrono::steady_clock::time_point created, taken, finished;
  };

  // An answer a test wants for the next call of a kind, instead of the normal one.
  struct Scripted {
    int status = 200;  // 0: drop the connection without answering
    std::string content_type = "application/json";
    std::string body;
  };

  explicit RunPodEmulator(RunPodEmulatorOptions options = {});
  ~RunPodEmulator();
  RunPodEmulator(const RunPodEmulator&) = delete;
  RunPodEmulator& operator=(const RunPodEmulator&) = delete;

  uint16_t port() const;
  std::string base_url() const;  // http://127.0.0.1:PORT/v2/ENDPOINT
  const RunPodEmulatorOptions& options() const;

  // The RUNPOD_* variables of a worker with this id, as RunPod sets them (templates with $ID
  // and $RUNPOD_POD_ID, and a ping template without a query).
  std::map<std::string, std::string> worker_environment(const std::string& worker_id,
                                                        int ping_interval_ms = 10'000) const;

  void set_faults(const RunPodFaults& faults);
  // `call`: job-take (also answers job-take-batch), job-done, job-stream, ping, job-stop.
  void script(const std::string& call, std::vector<Scripted> answers);

  // Queues a job as /run does (without HTTP); returns its id.
  std::string submit(const nlohmann::json& input);

  std::vector<Request> requests(const std::string& call = "") const;
  std::optional<Job> job(const std::string& id) const;
  std::vector<Job> jobs() const;
  // Most job-take calls of one worker that were open at the same time.
  int max_open_takes(const std::string& worker) const;

  // Polls `done` every 10 ms until it is true or `timeout` passes; returns its last value.
  static bool wait_for(const std::function<bool()>& done,
                       std::chrono::milliseconds timeout = std::chrono::seconds(30));

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace warmtts::testing
