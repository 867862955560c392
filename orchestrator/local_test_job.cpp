#include "orchestrator/local_test_job.hpp"

#include <fstream>
#include <future>
#include <sstream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/states.hpp"
#include "orchestrator/job_input.hpp"

namespace warmtts {
namespace {

using nlohmann::json;

// One ActorClient call, waited for (the local test runs one job on the main thread).
template <class T, class Start>
Answer<T> blocking(Start start) {
  std::promise<Answer<T>> p;
  auto f = p.get_future();
  start(AnswerCallback<T>([&p](Answer<T> a) { p.set_value(std::move(a)); }));
  return f.get();
}

}  // namespace

std::optional<std::string> local_test_job_text(const std::optional<std::string>& flag) {
  if (flag) return flag;  // the flag beats the file, as in the SDK
  std::ifstream in("test_input.json");
  if (!in) {
    spdlog::error(
        "no job to run: RUNPOD_WEBHOOK_GET_JOB is not set (not a RunPod queue worker), no "
        "--test_input was given and ./test_input.json does not exist; `warmtts serve` runs the "
        "local HTTP API");
    return std::nullopt;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int run_local_test_job(const Config& config, ActorClient& actors, const std::string& job_text) {
  auto doc = json::parse(job_text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("input")) {
    spdlog::error("the test job must be a JSON object with \"input\", e.g. {{\"input\": "
                  "{{\"text\": \"Hello.\"}}}}");
    return 1;
  }
  json envelope{{"input", doc["input"]}};
  if (doc.contains("policy")) envelope["policy"] = doc["policy"];
  auto parsed = parse_job_request(envelope.dump(), config.job_input_limits());
  auto print = [](const std::string& result) { spdlog::info("Job result: {}", result); };
  if (auto* err = std::get_if<JobInputError>(&parsed)) {
    print(json{{"error", err->message}}.dump());
    return 1;
  }
  job_spec job = std::move(std::get<job_spec>(parsed));
  job.id = doc.contains("id") && doc["id"].is_string() ? doc["id"].get<std::string>()
                                                       : std::string("local_test");
  job.retention_ms = 60'000;
  const std::string id = job.id;

  auto adm = blocking<admission>([&](auto done) { actors.submit(std::move(job), done); });
  job_view v;
  v.status = std::string(job_state::failed);
  if (!adm.value || !adm.value->accepted) {
    v.error = !adm.value ? adm.error : adm.value->error;
  } else {
    // A job waits in its queue while the model loads; it ends FAILED if the load fails.
    for (;;) {
      auto a = blocking<job_view>(
          [&](auto done) { actors.wait(id, std::chrono::milliseconds(60'000), done); });
      if (!a.value) {
        v.error = a.error;
        break;
      }
      if (!a.value->found || job_state::is_final(a.value->status)) {
        v = std::move(*a.value);
        break;
      }
    }
  }
  if (v.status == job_state::completed) {
    print("{\"output\":" + (v.output_json.empty() ? std::string("{}") : v.output_json) + "}");
    return 0;
  }
  print(json{{"error", v.error.empty() ? "job " + v.status : v.error}}.dump());
  return 1;
}

}  // namespace warmtts
