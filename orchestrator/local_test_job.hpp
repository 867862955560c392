// RunPod's local test mode (runpod-protocol.md §8): one job from --test_input or
// ./test_input.json, run once, with the SDK's exit codes — 0 when it succeeds, 1 when the job
// is missing, malformed or fails. No HTTP, no pings.
#pragma once

#include <optional>
#include <string>

#include "orchestrator/actor_client.hpp"
#include "orchestrator/config.hpp"

namespace warmtts {

// The job text: `flag` when given, else the contents of ./test_input.json; nullopt (after
// logging why) when neither exists.
std::optional<std::string> local_test_job_text(const std::optional<std::string>& flag);

// Runs the job and prints "Job result: {...}"; returns the exit code.
int run_local_test_job(const Config& config, ActorClient& actors, const std::string& job_text);

}  // namespace warmtts
