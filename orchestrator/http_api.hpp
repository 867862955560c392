// The HTTP API: RunPod's endpoint API shapes (/run, /runsync, /status, /stream, /cancel,
// /health) plus /ping (RunPod's load-balancer health convention) and /metrics.
#pragma once

#include <atomic>

#include "orchestrator/actor_client.hpp"
#include "orchestrator/config.hpp"
#include "orchestrator/http_server.hpp"
#include "orchestrator/job_input.hpp"

namespace warmtts {

class HttpApi {
 public:
  HttpApi(const Config& config, ActorClient& actors);

  void handle(HttpRequest&& req, HttpReply reply);

  // After SIGTERM: /run and /runsync answer 503, everything else still works.
  void stop_taking_jobs() { taking_jobs_ = false; }

 private:
  void submit(HttpRequest&& req, bool sync, HttpReply reply);

  const Config& config_;
  ActorClient& actors_;
  JobInputLimits limits_;
  std::atomic<bool> taking_jobs_{true};
};

}  // namespace warmtts
