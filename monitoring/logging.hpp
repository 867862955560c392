// Logging set-up (spdlog). With RunPod's console (RUNPOD_ENDPOINT_ID set) every line is one
// JSON object {"requestId", "message", "level"} so the console can attach lines to jobs.
#pragma once

#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

namespace warmtts::logging {

// level: trace, debug, info, warn, error. json: RunPod console format.
void setup(std::string_view level, bool json);

// Tags the log lines written on this thread while it lives with a job id (requestId).
class JobScope {
 public:
  explicit JobScope(const std::string& job_id);
  ~JobScope();
  JobScope(const JobScope&) = delete;
  JobScope& operator=(const JobScope&) = delete;

 private:
  std::string previous_;
};

// The job id of the innermost JobScope on this thread, "" when none.
const std::string& current_job_id();

}  // namespace warmtts::logging
