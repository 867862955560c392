// The job registry: every job's record, from submission until its retention has passed.
// It answers /status, /stream and /runsync waits; the dispatcher and model actors feed it.
#pragma once

#include <chrono>
#include <string>

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/atoms.hpp"
#include "actors/job_types.hpp"

namespace warmtts {

using job_registry_actor = caf::typed_actor<
    // From the dispatcher: id, model, retention after the final state (ms).
    caf::reacts_to<atoms::created, std::string, std::string, uint32_t>,
    caf::reacts_to<atoms::started, std::string>,
    caf::reacts_to<atoms::finished, std::string, job_outcome>,
    // From a model actor: id, chunk index, sample rate, s16le PCM.
    caf::reacts_to<atoms::chunk, std::string, uint32_t, int32_t, std::string>,
    // From clients.
    caf::replies_to<atoms::status, std::string>::with<job_view>,
    caf::replies_to<atoms::wait, std::string, uint32_t>::with<job_view>,  // until final or ms
    caf::replies_to<atoms::stream, std::string>::with<job_view>,
    // Like stream, but without undelivered outputs it waits up to ms for one or the final
    // state (the RunPod queue worker forwards chunks as they come).
    caf::replies_to<atoms::stream, std::string, uint32_t>::with<job_view>,
    caf::replies_to<atoms::health>::with<job_counts>,
    // Its own timers.
    caf::reacts_to<atoms::timeout, std::string, uint64_t>,
    caf::reacts_to<atoms::purge>>;

struct job_registry_options {
  std::chrono::milliseconds purge_interval{10'000};
};

job_registry_actor spawn_job_registry(caf::actor_system& sys, job_registry_options options);

}  // namespace warmtts
