// Everything the RunPod queue worker needs to know, read once at start-up: the platform's
// RUNPOD_* environment variables (runpod-protocol.md §1) and warmtts's own --runpod-* options.
// Also the URL templates' expansion, which the official SDK gets wrong in two ways that this
// code fixes: it substitutes $ID and $RUNPOD_POD_ID in every template, and it appends query
// parameters with '?' or '&' as the template needs.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace warmtts {

struct RunPodSettings {
  // -- from the platform's environment
  std::string get_job_url;      // RUNPOD_WEBHOOK_GET_JOB; set: this process is a queue worker
  std::string post_output_url;  // RUNPOD_WEBHOOK_POST_OUTPUT (job-done)
  std::string post_stream_url;  // RUNPOD_WEBHOOK_POST_STREAM (job-stream)
  std::string ping_url;         // RUNPOD_WEBHOOK_PING; empty: no heartbeat
  uint32_t ping_interval_ms = 10'000;  // RUNPOD_PING_INTERVAL (milliseconds)
  std::string api_key;          // RUNPOD_AI_API_KEY, sent raw in Authorization
  std::string pod_id;           // RUNPOD_POD_ID, else a random id
  std::string pod_hostname;     // RUNPOD_POD_HOSTNAME, in error reports
  std::string endpoint_id;      // RUNPOD_ENDPOINT_ID (also switches logs to JSON lines)
  std::string log_level;        // RUNPOD_LOG_LEVEL / RUNPOD_DEBUG_LEVEL mapped to ours, "" if unset
  uint16_t realtime_port = 0;   // RUNPOD_REALTIME_PORT: serve the HTTP API on 0.0.0.0:port
  uint32_t realtime_concurrency = 0;  // RUNPOD_REALTIME_CONCURRENCY: HTTP threads

  // -- warmtts's options (--runpod-*)
  std::vector<std::string> concurrency_option;  // "MODEL=N" entries as given
  std::map<std::string, uint32_t> concurrency;  // jobs held at once per model; absent: replicas
  bool aggregate_stream = false;         // final job-done of a stream job lists every chunk
  size_t max_result_bytes = 10u << 20;   // larger job-done bodies become a clear error
  uint32_t progress_interval_ms = 1000;  // stream jobs: at most one progress update per interval
  uint32_t take_timeout_ms = 90'000;     // a long-poll (job-take, job-stop) is given up after this
  uint32_t throttle_wait_ms = 5'000;     // pause after a 429
  uint32_t result_retry_s = 600;         // how long a result is retried before it is given up
  bool refresh_worker = false;           // every result asks for a fresh worker (stopPod), then exit

  bool queue_mode() const { return !get_job_url.empty(); }
};

// Reads the RUNPOD_* variables into `s` (the --runpod-* fields stay as they are). Throws
// std::invalid_argument naming the variable when a value cannot be used.
void read_runpod_environment(RunPodSettings& s);

// "$RUNPOD_POD_ID" → worker id, then "$ID" → `id` (the worker id for job-take, ping and
// job-stop; the job id for job-done and job-stream).
std::string expand_template(std::string url, std::string_view worker_id, std::string_view id);

// Appends "key=value&key=value" (already encoded) after '?' or '&', whichever the URL needs.
std::string with_query(std::string url, std::string_view params);

// job-take URL → the same URL with "/job-take/" replaced by `replacement` ("/job-take-batch/",
// "/job-stop/"); "" when the template has no "/job-take/".
std::string replace_take_path(const std::string& url, std::string_view replacement);

// Percent-encodes a query value (RFC 3986 unreserved characters stay).
std::string query_escape(std::string_view value);

}  // namespace warmtts
