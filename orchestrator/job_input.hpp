// Strict validation of a job request body (RunPod's envelope {"input": {...}, "policy": {...}})
// into a job_spec with every default filled in. Errors name the field and what is allowed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "actors/job_types.hpp"

namespace warmtts {

struct JobInputLimits {
  std::vector<std::string> models;  // model names this worker serves
  std::string default_model;
  size_t max_text_chars = 3000;
  size_t max_voice_bytes = 10u << 20;
  uint32_t default_execution_timeout_ms = 600'000;
};

struct JobInputError {
  std::string message;  // "input.temperature must be a number from 0.05 to 5; got \"hot\""
};

// `id` and `retention_ms` are set by the caller (they depend on the endpoint).
std::variant<job_spec, JobInputError> parse_job_request(std::string_view body,
                                                        const JobInputLimits& limits);

}  // namespace warmtts
