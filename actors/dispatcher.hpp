// The dispatcher: one bounded queue per model, admission by model state (DESIGN.md §2), and
// the hand-off of queued jobs to idle READY replicas. It also enforces policy.executionTimeout
// and carries cancellations to the replica running the job.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/atoms.hpp"
#include "actors/job_registry.hpp"
#include "actors/job_types.hpp"
#include "actors/model_actor.hpp"

namespace warmtts {

using dispatcher_actor = caf::typed_actor<
    caf::replies_to<atoms::submit, job_spec>::with<admission>,
    // true when the job was queued or running and is now CANCELLED.
    caf::replies_to<atoms::cancel, std::string>::with<bool>,
    // A replica joins: its name ("chatterbox@cuda:0") and handle.
    caf::reacts_to<atoms::attach, std::string, model_actor>,
    // A replica's state changed.
    caf::reacts_to<atoms::state, model_status>,
    caf::replies_to<atoms::models>::with<std::vector<model_status>>,
    // Stop admitting; replies once no job is queued or running.
    caf::replies_to<atoms::drain>::with<bool>,
    // Its own timers: queue wait and execution timeout of a job.
    caf::reacts_to<atoms::expire, std::string>,
    caf::reacts_to<atoms::timeout, std::string>>;

struct dispatcher_options {
  std::vector<std::string> replicas;  // every configured "model@device"
  uint32_t queue_capacity = 64;       // per model
  std::chrono::milliseconds queue_timeout{600'000};
  job_registry_actor registry;
  std::chrono::steady_clock::time_point process_start = std::chrono::steady_clock::now();
};

dispatcher_actor spawn_dispatcher(caf::actor_system& sys, dispatcher_options options);

}  // namespace warmtts
