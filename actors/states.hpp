// The names of job states (RunPod's) and model lifecycle states (DESIGN.md §2), in one place.
#pragma once

#include <string_view>

namespace warmtts::job_state {
inline constexpr std::string_view in_queue = "IN_QUEUE";
inline constexpr std::string_view in_progress = "IN_PROGRESS";
inline constexpr std::string_view completed = "COMPLETED";
inline constexpr std::string_view failed = "FAILED";
inline constexpr std::string_view cancelled = "CANCELLED";
inline constexpr std::string_view timed_out = "TIMED_OUT";

inline bool is_final(std::string_view s) {
  return s == completed || s == failed || s == cancelled || s == timed_out;
}
}  // namespace warmtts::job_state

namespace warmtts::model_state {
inline constexpr std::string_view unloaded = "UNLOADED";
inline constexpr std::string_view resolving = "RESOLVING";
inline constexpr std::string_view verifying = "VERIFYING";
inline constexpr std::string_view loading = "LOADING";
inline constexpr std::string_view warming = "WARMING";
inline constexpr std::string_view ready = "READY";
inline constexpr std::string_view failed = "FAILED";
inline constexpr std::string_view draining = "DRAINING";

inline constexpr std::string_view all[] = {unloaded, resolving, verifying, loading,
                                           warming,  ready,     failed,    draining};

// A model that will become READY without a job asking for it.
inline bool is_starting(std::string_view s) {
  return s == unloaded || s == resolving || s == verifying || s == loading || s == warming;
}
}  // namespace warmtts::model_state
