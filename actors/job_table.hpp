// The job registry's records and their state machine (RunPod's job states), kept free of CAF
// so that it can be tested on its own:
//   IN_QUEUE → IN_PROGRESS → COMPLETED | FAILED | CANCELLED | TIMED_OUT
//   IN_QUEUE → FAILED | CANCELLED (never started)
// A final state never changes again; a late result for a cancelled job is ignored.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/job_types.hpp"

namespace warmtts {

class JobTable {
 public:
  using clock = std::chrono::steady_clock;

  struct Record {
    std::string id;
    std::string model;
    std::string status;
    clock::time_point created;
    clock::time_point started;
    clock::time_point finished;
    bool was_started = false;
    std::string output_json;
    std::string error;
    std::vector<std::string> stream;  // stream outputs as JSON text
    size_t stream_delivered = 0;
    std::chrono::milliseconds retention{0};  // kept this long after the final state
  };

  // false when the id exists already.
  bool create(const std::string& id, const std::string& model, std::chrono::milliseconds retention,
              clock::time_point now);
  // IN_QUEUE → IN_PROGRESS; false otherwise.
  bool start(const std::string& id, clock::time_point now);
  // Appends a stream output while the job is not final.
  bool add_stream_output(const std::string& id, std::string output_json);
  // Moves to a final state; false when unknown, already final, or `status` is not final.
  bool finish(const std::string& id, const std::string& status, std::string output_json,
              std::string error, clock::time_point now);

  const Record* find(const std::string& id) const;

  // The /status view; with take_stream, the stream outputs not yet delivered (and marks them).
  job_view view(const std::string& id, bool take_stream, clock::time_point now);

  // Forgets final jobs whose retention has passed; returns how many.
  size_t purge(clock::time_point now);

  job_counts counts() const;

 private:
  std::unordered_map<std::string, Record> records_;
  int64_t completed_ = 0;
  int64_t failed_ = 0;  // FAILED and TIMED_OUT
};

}  // namespace warmtts
