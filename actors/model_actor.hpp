// A model replica: one model on one device, with its own engine thread. The same typed actor
// whether it lives in the orchestrator process or in a sidecar.
#pragma once

#include <string>

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/atoms.hpp"
#include "actors/job_types.hpp"
#include "sidecars/voice_source.hpp"
#include "volume/resolver.hpp"

namespace warmtts {

class EngineCatalog;

// Who hears a replica's state changes (the dispatcher).
using model_listener_actor = caf::typed_actor<caf::reacts_to<atoms::state, model_status>>;

// Who receives streamed audio (the job registry): job id, chunk index, sample rate, s16le PCM.
using audio_sink_actor =
    caf::typed_actor<caf::reacts_to<atoms::chunk, std::string, uint32_t, int32_t, std::string>>;

using model_actor = caf::typed_actor<
    // Runs one job; replies when it has finished, failed or was cancelled.
    caf::replies_to<atoms::run, job_spec>::with<job_outcome>,
    // Sets the cancellation flag of the named job if it is the one running.
    caf::reacts_to<atoms::cancel, std::string>,
    caf::replies_to<atoms::status>::with<model_status>,
    // The worker is shutting down: DRAINING, takes no more jobs.
    caf::reacts_to<atoms::drain>,
    // From the replica's own engine thread.
    caf::reacts_to<atoms::state, model_status>,
    caf::reacts_to<atoms::done, std::string, job_outcome>>;

struct model_actor_options {
  std::string model;
  std::string device;
  const EngineCatalog* engines = nullptr;  // must outlive the actor
  model_listener_actor listener;
  audio_sink_actor audio_sink;
  volume::ResolveOptions volume;  // where this model's repositories are, how to check them
  VoiceSourceOptions voices;      // where voice.audio_url and voice.name clips come from
};

// Spawns the replica and starts loading at once, on its engine thread.
model_actor spawn_model_actor(caf::actor_system& sys, model_actor_options options);

}  // namespace warmtts
