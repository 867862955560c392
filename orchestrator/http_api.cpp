#include "orchestrator/http_api.hpp"

#include <chrono>
#include <random>

#include <boost/url/parse.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/states.hpp"
#include "monitoring/metrics.hpp"

namespace warmtts {
namespace {

using nlohmann::json;
using clock_type = std::chrono::steady_clock;

std::string new_job_id(bool sync) {
  // RunPod's shapes: "<uuid>-<region>" for /run, "sync-<uuid>-<region>" for /runsync.
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t a = rng(), b = rng();
  a = (a & ~0xF000ull) | 0x4000ull;                       // version 4
  b = (b & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;  // variant 1
  char buf[48];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xFFFF), static_cast<unsigned>(a & 0xFFFF),
                static_cast<unsigned>(b >> 48),
                static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFull));
  return (sync ? "sync-" : "") + std::string(buf) + "-local";
}

std::string error_body(const std::string& message) { return json{{"error", message}}.dump(); }

// Appends `"key":<raw JSON text>` to an object being written as text: outputs are already JSON
// (several MB of base64 audio), so they are spliced in rather than parsed and written again.
std::string with_raw_member(std::string object_json, std::string_view key, std::string_view raw) {
  object_json.pop_back();  // '}'
  object_json.reserve(object_json.size() + key.size() + raw.size() + 8);
  if (object_json.size() > 1) object_json += ',';
  object_json += '"';
  object_json += key;
  object_json += "\":";
  object_json += raw;
  object_json += '}';
  return object_json;
}

// RunPod's /status object.
std::string view_body(const job_view& v) {
  json out{{"id", v.id}, {"status", v.status}};
  if (v.status != job_state::in_queue) out["delayTime"] = v.delay_ms;
  if (v.status != job_state::in_queue && v.status != job_state::in_progress)
    out["executionTime"] = v.execution_ms;
  if (!v.error.empty()) out["error"] = v.error;
  if (v.output_json.empty()) return out.dump();
  return with_raw_member(out.dump(), "output", v.output_json);
}

std::string not_found(const std::string& id) {
  return error_body("job " + id +
                    " not found: the id is unknown or its result expired after the retention "
                    "time (--run-retention, --runsync-retention)");
}

// "/status/abc" → "abc" for prefix "/status/"; "" when the path does not match.
std::string id_after(std::string_view path, std::string_view prefix) {
  if (path.substr(0, prefix.size()) != prefix) return "";
  auto id = path.substr(prefix.size());
  if (id.empty() || id.find('/') != std::string_view::npos) return "";
  return std::string(id);
}

json model_json(const model_status& m) {
  return json{{"model", m.model},   {"device", m.device}, {"replica", m.replica},
              {"state", m.state},   {"reason", m.reason}, {"busy", m.busy},
              {"load_seconds", m.load_seconds}};
}

}  // namespace

HttpApi::HttpApi(const Config& config, ActorClient& actors)
    : config_(config), actors_(actors), limits_(config.job_input_limits()) {}

void HttpApi::handle(HttpRequest&& req, HttpReply reply) {
  const auto t0 = clock_type::now();
  auto target = boost::urls::parse_origin_form(req.target());
  if (!target) {
    reply(json_response(http::status::bad_request, error_body("malformed request target"),
                        req.version()));
    return;
  }
  const std::string path = target->path();
  const auto method = req.method();
  const unsigned version = req.version();

  // Every answer is counted under its route template (warmtts_http_requests_total{route}).
  auto answer = [reply, t0, version](std::string route, http::status status, std::string body,
                                     std::string content_type = "application/json") {
    auto res = json_response(status, std::move(body), version);
    res.set(http::field::content_type, content_type);
    if (status == http::status::no_content) res.body().clear();
    Metrics::global().http_request(
        route, static_cast<int>(status),
        std::chrono::duration<double>(clock_type::now() - t0).count());
    reply(std::move(res));
  };
  auto method_is = [&](std::initializer_list<http::verb> allowed, const std::string& r) {
    for (auto v : allowed)
      if (method == v) return true;
    answer(r, http::status::method_not_allowed,
           error_body(std::string(req.method_string()) + " is not allowed on " + r));
    return false;
  };
  // Actor unreachable: the worker is broken or shutting down.
  auto unavailable = [answer](const std::string& r, const std::string& why) {
    answer(r, http::status::service_unavailable, error_body("worker unavailable: " + why));
  };

  if (path == "/run" || path == "/runsync") {
    if (!method_is({http::verb::post}, path)) return;
    return submit(std::move(req), path == "/runsync",
                  [answer, path](HttpResponse res) {
                    answer(path, res.result(), std::move(res.body()));
                  });
  }
  if (auto id = id_after(path, "/status/"); !id.empty()) {
    if (!method_is({http::verb::get, http::verb::post}, "/status/{id}")) return;
    return actors_.status(id, [answer, unavailable, id](Answer<job_view> a) {
      if (!a.value) return unavailable("/status/{id}", a.error);
      if (!a.value->found) return answer("/status/{id}", http::status::not_found, not_found(id));
      answer("/status/{id}", http::status::ok, view_body(*a.value));
    });
  }
  if (auto id = id_after(path, "/stream/"); !id.empty()) {
    if (!method_is({http::verb::get, http::verb::post}, "/stream/{id}")) return;
    return actors_.stream(id, [answer, unavailable, id](Answer<job_view> a) {
      if (!a.value) return unavailable("/stream/{id}", a.error);
      const auto& v = *a.value;
      if (!v.found) return answer("/stream/{id}", http::status::not_found, not_found(id));
      json out{{"id", v.id}, {"status", v.status}};
      if (!v.error.empty()) out["error"] = v.error;
      std::string stream = "[";
      for (const auto& chunk : v.stream) {
        if (stream.size() > 1) stream += ',';
        stream += with_raw_member("{}", "output", chunk);
      }
      stream += ']';
      answer("/stream/{id}", http::status::ok, with_raw_member(out.dump(), "stream", stream));
    });
  }
  if (auto id = id_after(path, "/cancel/"); !id.empty()) {
    if (!method_is({http::verb::post}, "/cancel/{id}")) return;
    return actors_.cancel(id, [answer, unavailable, id](Answer<job_view> a) {
      if (!a.value) return unavailable("/cancel/{id}", a.error);
      if (!a.value->found) return answer("/cancel/{id}", http::status::not_found, not_found(id));
      answer("/cancel/{id}", http::status::ok,
             json{{"id", id}, {"status", a.value->status}}.dump());
    });
  }
  if (path == "/health") {
    if (!method_is({http::verb::get}, path)) return;
    return actors_.health([answer, unavailable](Answer<WorkerHealth> a) {
      if (!a.value) return unavailable("/health", a.error);
      const auto& h = *a.value;
      int idle = 0, running = 0;
      json models = json::array();
      for (const auto& m : h.models) {
        if (m.state == model_state::ready) (m.busy ? running : idle)++;
        models.push_back(model_json(m));
      }
      json out{{"jobs",
                {{"completed", h.jobs.completed},
                 {"failed", h.jobs.failed},
                 {"inProgress", h.jobs.in_progress},
                 {"inQueue", h.jobs.in_queue},
                 {"retried", h.jobs.retried}}},
               {"workers", {{"idle", idle}, {"running", running}}},
               {"models", models}};
      answer("/health", http::status::ok, out.dump());
    });
  }
  if (path == "/ping") {
    if (!method_is({http::verb::get}, path)) return;
    return actors_.models([answer, unavailable](Answer<std::vector<model_status>> a) {
      if (!a.value) return unavailable("/ping", a.error);
      // RunPod's load-balancer convention: 200 healthy, 204 initializing, other: unhealthy.
      json failed = json::array();
      bool loading = false;
      for (const auto& m : *a.value) {
        if (m.state == model_state::failed || m.state == model_state::draining)
          failed.push_back(model_json(m));
        else if (m.state != model_state::ready)
          loading = true;
      }
      if (!failed.empty())
        return answer("/ping", http::status::service_unavailable,
                      json{{"status", "UNHEALTHY"}, {"failed", failed}}.dump());
      if (loading) return answer("/ping", http::status::no_content, "");
      answer("/ping", http::status::ok, json{{"status", "READY"}}.dump());
    });
  }
  if (path == "/metrics") {
    if (!method_is({http::verb::get}, path)) return;
    return answer("/metrics", http::status::ok, Metrics::global().serialize(),
                  "text/plain; version=0.0.4; charset=utf-8");
  }
  answer("other", http::status::not_found,
         error_body("no route " + path +
                    "; routes: POST /run, POST /runsync, GET /status/{id}, GET /stream/{id}, "
                    "POST /cancel/{id}, GET /health, GET /ping, GET /metrics"));
}

void HttpApi::submit(HttpRequest&& req, bool sync, HttpReply reply) {
  const unsigned version = req.version();
  auto respond = [reply, version](http::status status, std::string body) {
    reply(json_response(status, std::move(body), version));
  };
  if (!taking_jobs_)
    return respond(http::status::service_unavailable,
                   error_body("this worker is shutting down and takes no new jobs"));

  std::chrono::milliseconds wait{config_.runsync_wait_ms};
  if (sync) {
    auto target = boost::urls::parse_origin_form(req.target());
    for (auto param : target->params()) {
      if (param.key != "wait") continue;
      char* end = nullptr;
      long ms = std::strtol(param.value.c_str(), &end, 10);
      if (param.value.empty() || *end != '\0' || ms < 1000 || ms > 300000)
        return respond(http::status::bad_request,
                       error_body("wait must be milliseconds from 1000 to 300000; got \"" +
                                  param.value + "\""));
      wait = std::chrono::milliseconds(ms);
    }
  }

  auto parsed = parse_job_request(req.body(), limits_);
  if (auto* err = std::get_if<JobInputError>(&parsed))
    return respond(http::status::bad_request, error_body(err->message));
  job_spec job = std::move(std::get<job_spec>(parsed));
  job.id = new_job_id(sync);
  job.retention_ms = (sync ? config_.runsync_retention_s : config_.run_retention_s) * 1000;
  const std::string id = job.id;

  actors_.submit(std::move(job), [this, sync, wait, id, respond](Answer<admission> a) {
    if (!a.value) return respond(http::status::service_unavailable, error_body(a.error));
    const auto& adm = *a.value;
    if (!adm.accepted && adm.status.empty())
      return respond(static_cast<http::status>(adm.http_status), error_body(adm.error));
    if (!adm.accepted || !sync) {
      json out{{"id", id}, {"status", adm.status}};
      if (!adm.error.empty()) out["error"] = adm.error;
      return respond(http::status::ok, out.dump());
    }
    actors_.wait(id, wait, [respond, id](Answer<job_view> v) {
      if (!v.value) return respond(http::status::service_unavailable, error_body(v.error));
      if (!v.value->found) return respond(http::status::not_found, not_found(id));
      respond(http::status::ok, view_body(*v.value));
    });
  });
}

}  // namespace warmtts
