// Asynchronous calls from non-actor threads (HTTP handlers) into the actors. Each call spawns a
// short-lived actor that makes one request and hands the answer to a callback, so that no HTTP
// thread ever blocks on an actor.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "actors/dispatcher.hpp"
#include "actors/job_registry.hpp"
#include "actors/job_types.hpp"

namespace warmtts {

// A value, or why the actor did not answer.
template <class T>
struct Answer {
  std::optional<T> value;
  std::string error;
};

template <class T>
using AnswerCallback = std::function<void(Answer<T>)>;

struct WorkerHealth {
  job_counts jobs;
  std::vector<model_status> models;
};

class ActorClient {
 public:
  ActorClient(caf::actor_system& sys, dispatcher_actor dispatcher, job_registry_actor registry);

  void submit(job_spec job, AnswerCallback<admission> done);
  void status(const std::string& id, AnswerCallback<job_view> done);
  // Waits until the job is final or `wait` passed, then answers its view.
  void wait(const std::string& id, std::chrono::milliseconds wait, AnswerCallback<job_view> done);
  void stream(const std::string& id, AnswerCallback<job_view> done);
  // Undelivered stream outputs; when there are none yet, waits up to `wait` for one or for the
  // job's final state.
  void follow_stream(const std::string& id, std::chrono::milliseconds wait,
                     AnswerCallback<job_view> done);
  // Cancels if queued or running, then answers the job's view.
  void cancel(const std::string& id, AnswerCallback<job_view> done);
  void models(AnswerCallback<std::vector<model_status>> done);
  void health(AnswerCallback<WorkerHealth> done);
  // Stops admission; answers true once no job is queued or running, false after `grace`.
  void drain(std::chrono::milliseconds grace, AnswerCallback<bool> done);

 private:
  caf::actor_system& sys_;
  dispatcher_actor dispatcher_;
  job_registry_actor registry_;
};

}  // namespace warmtts
