// RunPod's queue worker (runpod-protocol.md §2-§6): takes jobs from the platform with one
// long-poll at a time, runs them through the dispatcher like any other job, posts every result,
// stream chunk and progress update back, pings with the jobs in progress, and stops jobs the
// platform cancels. It runs on its own thread, in coroutines on one io_context, so that its
// state needs no locks and no HTTP call ever blocks an actor.
#pragma once

#include <functional>
#include <memory>

#include "orchestrator/actor_client.hpp"
#include "orchestrator/config.hpp"

namespace warmtts {

class QueueWorker {
 public:
  QueueWorker(const Config& config, ActorClient& actors);
  ~QueueWorker();
  QueueWorker(const QueueWorker&) = delete;
  QueueWorker& operator=(const QueueWorker&) = delete;

  // Starts the thread: it waits until every configured model is READY, then takes jobs.
  // `finished(exit_code)` is called once, on that thread, when it has stopped: 0 after
  // shutdown() or --runpod-refresh-worker, 1 when a model FAILED at start-up (after the
  // unhealthy ping).
  void start(std::function<void(int exit_code)> finished);

  // SIGTERM: no new takes; jobs held run to the end and their results are posted, then
  // `finished(0)`. Thread-safe.
  void shutdown();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace warmtts
