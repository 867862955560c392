#include "orchestrator/runpod_settings.hpp"

#include <algorithm>
#include <cstdlib>
#include <random>
#include <stdexcept>

#include "volume/http_fetch.hpp"

namespace warmtts {
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

uint64_t env_number(const char* name, uint64_t fallback, uint64_t min, uint64_t max) {
  std::string v = env(name);
  if (v.empty()) return fallback;
  char* end = nullptr;
  unsigned long long n = std::strtoull(v.c_str(), &end, 10);
  if (*end != '\0' || v[0] == '-' || n < min || n > max)
    throw std::invalid_argument(std::string(name) + " must be a whole number from " +
                                std::to_string(min) + " to " + std::to_string(max) + "; got \"" +
                                v + "\"");
  return n;
}

std::string random_worker_id() {
  std::mt19937_64 rng{std::random_device{}()};
  static const char* hex = "0123456789abcdef";
  std::string id = "warmtts-";
  for (int i = 0; i < 16; ++i) id += hex[rng() % 16];
  return id;
}

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
}

}  // namespace

void read_runpod_environment(RunPodSettings& s) {
  s.get_job_url = env("RUNPOD_WEBHOOK_GET_JOB");
  s.post_output_url = env("RUNPOD_WEBHOOK_POST_OUTPUT");
  s.post_stream_url = env("RUNPOD_WEBHOOK_POST_STREAM");
  s.ping_url = env("RUNPOD_WEBHOOK_PING");
  // The SDK's "no ping" marker.
  if (s.ping_url == "PING_NOT_SET") s.ping_url.clear();
  // The SDK turns this into whole seconds (so 500 ms becomes a hot loop); we keep milliseconds.
  s.ping_interval_ms =
      static_cast<uint32_t>(env_number("RUNPOD_PING_INTERVAL", 10'000, 10, 3'600'000));
  s.api_key = env("RUNPOD_AI_API_KEY");
  s.pod_id = env("RUNPOD_POD_ID");
  if (s.pod_id.empty()) s.pod_id = random_worker_id();
  s.pod_hostname = env("RUNPOD_POD_HOSTNAME");
  s.endpoint_id = env("RUNPOD_ENDPOINT_ID");
  s.realtime_port = static_cast<uint16_t>(env_number("RUNPOD_REALTIME_PORT", 0, 0, 65535));
  s.realtime_concurrency =
      static_cast<uint32_t>(env_number("RUNPOD_REALTIME_CONCURRENCY", 0, 0, 64));

  std::string level = env("RUNPOD_LOG_LEVEL");
  const char* level_var = "RUNPOD_LOG_LEVEL";
  if (level.empty()) {
    level = env("RUNPOD_DEBUG_LEVEL");
    level_var = "RUNPOD_DEBUG_LEVEL";
  }
  std::transform(level.begin(), level.end(), level.begin(), ::toupper);
  static const std::map<std::string, std::string> levels = {
      {"NOTSET", "trace"}, {"TRACE", "trace"}, {"DEBUG", "debug"},  {"INFO", "info"},
      {"WARN", "warn"},    {"WARNING", "warn"}, {"ERROR", "error"}};
  if (level.empty()) {
    s.log_level.clear();
  } else if (auto it = levels.find(level); it != levels.end()) {
    s.log_level = it->second;
  } else {
    throw std::invalid_argument(std::string(level_var) +
                                " must be NOTSET, TRACE, DEBUG, INFO, WARN or ERROR; got \"" +
                                level + "\"");
  }

  if (s.queue_mode()) {
    // The SDK posts to the literal "JOB_DONE_URL" when these are missing; we refuse to start.
    if (s.post_output_url.empty())
      throw std::invalid_argument(
          "RUNPOD_WEBHOOK_POST_OUTPUT must be set when RUNPOD_WEBHOOK_GET_JOB is (queue worker "
          "mode): it is where results go");
    if (s.post_stream_url.empty())
      throw std::invalid_argument(
          "RUNPOD_WEBHOOK_POST_STREAM must be set when RUNPOD_WEBHOOK_GET_JOB is (queue worker "
          "mode): it is where stream chunks go");
    for (const auto* url : {&s.get_job_url, &s.post_output_url, &s.post_stream_url, &s.ping_url})
      if (!url->empty() && url->rfind("http://", 0) != 0 && url->rfind("https://", 0) != 0)
        throw std::invalid_argument("RUNPOD_WEBHOOK_* URLs must start with http:// or https://; got \"" +
                                    *url + "\"");
  }
}

std::string expand_template(std::string url, std::string_view worker_id, std::string_view id) {
  // $RUNPOD_POD_ID first: "$ID" is a prefix of nothing else, but "$RUNPOD_POD_ID" contains no
  // "$ID" either, so the order only matters for ids that themselves contain "$ID".
  replace_all(url, "$RUNPOD_POD_ID", worker_id);
  replace_all(url, "$ID", id);
  return url;
}

std::string with_query(std::string url, std::string_view params) {
  if (params.empty()) return url;
  auto q = url.find('?');
  if (q == std::string::npos)
    url += '?';
  else if (q + 1 != url.size() && url.back() != '&')
    url += '&';
  url += params;
  return url;
}

std::string replace_take_path(const std::string& url, std::string_view replacement) {
  static constexpr std::string_view take = "/job-take/";
  auto at = url.find(take);
  if (at == std::string::npos) return "";
  std::string out = url;
  out.replace(at, take.size(), replacement);
  return out;
}

std::string query_escape(std::string_view value) { return volume::percent_encode(value); }

}  // namespace warmtts
