#include "orchestrator/queue_worker.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <variant>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/states.hpp"
#include "monitoring/logging.hpp"
#include "monitoring/metrics.hpp"
#include "orchestrator/http_connection.hpp"
#include "orchestrator/job_input.hpp"

namespace warmtts {
namespace {

namespace net = boost::asio;
using nlohmann::json;
using clock_type = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Sent as runpod_version with every ping (the SDK sends its own version there).
constexpr const char* protocol_client_version = "warmtts-0.1.0";

// Logs one line tagged with a job id (coroutines share a thread, so a JobScope must not span a
// suspension).
template <class... Args>
void job_log(spdlog::level::level_enum level, const std::string& id,
             spdlog::format_string_t<Args...> fmt, Args&&... args) {
  logging::JobScope scope(id);
  spdlog::log(level, fmt, std::forward<Args>(args)...);
}

std::string code_of(const HttpAnswer& a) { return a.status ? std::to_string(a.status) : "error"; }

bool is_json_type(const std::string& content_type) {
  return content_type.rfind("application/json", 0) == 0;
}

// `{"key":<raw JSON>}` without parsing and writing the (possibly megabytes of) raw text again.
std::string object_with_raw(std::string_view key, std::string_view raw) {
  std::string out;
  out.reserve(raw.size() + key.size() + 6);
  out += "{\"";
  out += key;
  out += "\":";
  out += raw;
  out += '}';
  return out;
}

}  // namespace

struct QueueWorker::Impl {
  struct HeldJob {
    std::string runpod_id;
    std::string model;
    bool stop_requested = false;  // the platform stopped it: no result is posted
  };

  const Config& config;
  const RunPodSettings& rp;
  ActorClient& actors;
  JobInputLimits limits;
  net::io_context io;
  net::ssl::context tls = verifying_tls_context();
  std::thread thread;
  std::function<void(int)> finished;

  HttpConnection take_conn{tls};
  HttpConnection stop_conn{tls};
  HttpConnection ping_conn{tls};
  std::vector<std::unique_ptr<HttpConnection>> idle_conns;  // for results and stream chunks
  net::steady_timer slot_timer{io};   // wakes the take loop when a job ends
  net::steady_timer ping_timer{io};
  net::steady_timer stop_timer{io};

  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  bool taking = true;  // false after shutdown() or a refresh
  bool done = false;   // everything posted: the ping and stop loops end
  std::map<std::string, HeldJob> held;  // by internal job id
  std::map<std::string, int> held_per_model;
  std::map<std::string, uint64_t> times_seen;  // RunPod id → deliveries to this worker

  Impl(const Config& c, ActorClient& a)
      : config(c), rp(c.runpod), actors(a), limits(c.job_input_limits()) {}

  // -- actor calls as awaitables -----------------------------------------------------------
  // `call(callback)` starts one ActorClient call; its answer resumes the coroutine on our
  // thread. Nothing with a destructor may be a temporary of a co_await expression here: GCC 12
  // destroys such temporaries twice.
  template <class T, class Call>
  net::awaitable<Answer<T>> ask(Call call) {
    net::io_context* ctx = &io;
    auto initiation = [call, ctx](auto handler) mutable {
      auto h = std::make_shared<decltype(handler)>(std::move(handler));
      call(AnswerCallback<T>([h, ctx](Answer<T> a) {
        net::post(*ctx, [h, a = std::move(a)]() mutable { std::move(*h)(std::move(a)); });
      }));
    };
    Answer<T> answer = co_await net::async_initiate<const net::use_awaitable_t<>&,
                                                    void(Answer<T>)>(initiation,
                                                                     net::use_awaitable);
    co_return answer;
  }

  net::awaitable<void> sleep(milliseconds d) {
    net::steady_timer t(io, d);
    boost::system::error_code ec;
    co_await t.async_wait(net::redirect_error(net::use_awaitable, ec));
  }

  // A sleep that shutdown() can cut short.
  net::awaitable<void> sleep_on(net::steady_timer& t, milliseconds d) {
    t.expires_after(d);
    boost::system::error_code ec;
    co_await t.async_wait(net::redirect_error(net::use_awaitable, ec));
  }

  std::map<std::string, std::string> headers() const {
    // RunPod checks the key as sent, without "Bearer ".
    std::map<std::string, std::string> h{{"Content-Type", "application/json"}};
    if (!rp.api_key.empty()) h["Authorization"] = rp.api_key;
    return h;
  }

  void record(std::string_view call, const HttpAnswer& a) {
    Metrics::global().runpod_request(call, code_of(a));
  }

  // -- start-up --------------------------------------------------------------------------
  net::awaitable<void> main_loop() {
    if (!rp.ping_url.empty()) net::co_spawn(io, ping_loop(), net::detached);
    for (;;) {
      auto m = co_await ask<std::vector<model_status>>(
          [this](auto cb) { actors.models(std::move(cb)); });
      if (!taking) {
        finish(0);
        co_return;
      }
      if (m.value) {
        const model_status* failed = nullptr;
        bool all_ready = !m.value->empty();
        for (const auto& s : *m.value) {
          if (s.state == model_state::failed && !failed) failed = &s;
          if (s.state != model_state::ready) all_ready = false;
        }
        if (failed) {
          std::string reason = failed->replica + " is FAILED: " + failed->reason;
          spdlog::critical("start-up failed, reporting this worker unhealthy: {}", reason);
          const std::string check = "model_load";
          co_await report_unhealthy(check, reason);
          finish(1);
          co_return;
        }
        if (all_ready) break;
      }
      co_await sleep(milliseconds(20));
    }
    spdlog::info("RunPod queue worker {} taking jobs from {}", rp.pod_id,
                 expand_template(rp.get_job_url, rp.pod_id, rp.pod_id));
    net::co_spawn(io, stop_loop(), net::detached);
    co_await take_loop();
    // No more takes: the jobs held finish and post their results first.
    while (!held.empty()) co_await sleep_on(slot_timer, milliseconds(1000));
    finish(0);
  }

  void finish(int code) {
    done = true;
    ping_timer.cancel();
    stop_timer.cancel();
    ping_conn.close();
    stop_conn.close();
    work.reset();  // the thread ends once the last operation has completed
    spdlog::info("RunPod queue worker stopped");
    if (finished) finished(code);
  }

  net::awaitable<void> report_unhealthy(const std::string& check, std::string reason) {
    if (rp.ping_url.empty()) co_return;
    if (reason.size() > 256) reason.resize(256);
    auto url = with_query(expand_template(rp.ping_url, rp.pod_id, rp.pod_id),
                          "status=unhealthy&check=" + query_escape(check) +
                              "&reason=" + query_escape(reason) +
                              "&runpod_version=" + protocol_client_version);
    auto a = co_await ping_conn.request("GET", url, headers(), "", milliseconds(2000));
    record("ping", a);
  }

  // -- heartbeat -------------------------------------------------------------------------
  net::awaitable<void> ping_loop() {
    const milliseconds interval(rp.ping_interval_ms);
    while (!done) {
      std::string ids;
      for (const auto& [internal, job] : held) {
        if (job.stop_requested) continue;
        if (!ids.empty()) ids += ',';
        ids += job.runpod_id;
      }
      std::string params;
      if (!ids.empty()) params = "job_id=" + query_escape(ids) + "&";
      params += std::string("runpod_version=") + protocol_client_version;
      auto url = with_query(expand_template(rp.ping_url, rp.pod_id, rp.pod_id), params);
      auto a = co_await ping_conn.request("GET", url, headers(), "", interval * 2);
      record("ping", a);
      if (done) break;
      if (a.status == 0) spdlog::debug("ping: {}", a.error);
      co_await sleep_on(ping_timer, interval);
    }
  }

  // -- job-stop channel ----------------------------------------------------------------------
  net::awaitable<void> stop_loop() {
    auto url = replace_take_path(expand_template(rp.get_job_url, rp.pod_id, rp.pod_id),
                                 "/job-stop/");
    if (url.empty()) {
      spdlog::info("RUNPOD_WEBHOOK_GET_JOB has no /job-take/: no job-stop channel");
      co_return;
    }
    while (!done) {
      auto t0 = clock_type::now();
      auto a = co_await stop_conn.request("GET", url, headers(), "",
                                          milliseconds(rp.take_timeout_ms));
      if (done) break;
      record("job-stop", a);
      bool stopped_some = false;
      if (a.status == 200 && is_json_type(a.content_type)) {
        auto doc = json::parse(a.body, nullptr, false);
        if (doc.is_object() && doc.contains("jobsToStop") && doc["jobsToStop"].is_array()) {
          for (const auto& id : doc["jobsToStop"])
            if (id.is_string()) stopped_some |= stop_job(id.get<std::string>());
        }
      }
      if (a.status == 429) co_await sleep_on(stop_timer, milliseconds(rp.throttle_wait_ms));
      // A server that answers at once (or no server) must not turn this into a busy loop.
      auto floor = milliseconds(1000) - (clock_type::now() - t0);
      if (!stopped_some && floor > milliseconds(0) && !done)
        co_await sleep_on(stop_timer, std::chrono::duration_cast<milliseconds>(floor));
    }
  }

  bool stop_job(const std::string& runpod_id) {
    bool any = false;
    for (auto& [internal, job] : held) {
      if (job.runpod_id != runpod_id || job.stop_requested) continue;
      job.stop_requested = true;
      any = true;
      job_log(spdlog::level::info, runpod_id, "RunPod stopped this job; cancelling it");
      actors.cancel(internal, [](Answer<job_view>) {});
    }
    return any;
  }

  // -- job take ----------------------------------------------------------------------------
  // Free slots: per model, its concurrency (default: its READY replicas) less the jobs held.
  net::awaitable<int> free_slots() {
    auto m = co_await ask<std::vector<model_status>>(
        [this](auto cb) { actors.models(std::move(cb)); });
    if (!m.value) co_return 0;
    std::map<std::string, int> ready;
    for (const auto& s : *m.value)
      if (s.state == model_state::ready) ready[s.model]++;
    int free = 0;
    for (const auto& name : config.model_names()) {
      if (ready[name] == 0) continue;
      auto c = rp.concurrency.find(name);
      int cap = c != rp.concurrency.end() ? static_cast<int>(c->second) : ready[name];
      free += std::max(0, cap - held_per_model[name]);
    }
    co_return free;
  }

  net::awaitable<void> take_loop() {
    milliseconds backoff(0);
    while (taking) {
      int free = co_await free_slots();
      if (!taking) break;
      if (free <= 0) {
        co_await sleep_on(slot_timer, milliseconds(1000));
        continue;
      }
      auto url = expand_template(rp.get_job_url, rp.pod_id, rp.pod_id);
      std::string params, call = "job-take";
      if (free > 1) {
        if (auto batch = replace_take_path(url, "/job-take-batch/"); !batch.empty()) {
          url = batch;
          params = "batch_size=" + std::to_string(free) + "&";
          call = "job-take-batch";
        }
      }
      params += std::string("job_in_progress=") + (held.empty() ? "0" : "1");
      url = with_query(url, params);
      auto a = co_await take_conn.request("GET", url, headers(), "",
                                          milliseconds(rp.take_timeout_ms));
      record(call, a);
      if (a.status == 0) {
        if (!taking) break;
        // A long-poll given up is normal; a refused or dropped connection is retried with a
        // growing pause so that a platform outage does not become a busy loop.
        if (a.error.find("timed out") == std::string::npos) {
          backoff = std::min(milliseconds(5000), std::max(milliseconds(100), backoff * 2));
          spdlog::warn("{}: {}; again in {} ms", call, a.error, backoff.count());
          co_await sleep(backoff);
        }
        continue;
      }
      backoff = milliseconds(0);
      if (a.status == 204 || a.status == 400) continue;  // no job (400: FlashBoot's answer)
      if (a.status == 429) {
        spdlog::debug("{}: 429, waiting {} ms", call, rp.throttle_wait_ms);
        co_await sleep(milliseconds(rp.throttle_wait_ms));
        continue;
      }
      if (a.status < 200 || a.status >= 300) {
        spdlog::warn("{}: HTTP {}: {}", call, a.status, a.body.substr(0, 200));
        continue;
      }
      if (!is_json_type(a.content_type) || a.body.empty()) continue;  // no job
      auto doc = json::parse(a.body, nullptr, false);
      if (doc.is_discarded()) {
        spdlog::error("{}: the answer is not JSON: {}", call, a.body.substr(0, 200));
        continue;
      }
      if (doc.is_object()) doc = json::array({std::move(doc)});
      if (!doc.is_array()) {
        spdlog::error("{}: expected a job object or an array of jobs: {}", call,
                      a.body.substr(0, 200));
        continue;
      }
      for (auto& job : doc) accept(std::move(job));
    }
  }

  // Books the job against its model's slots at once (the next take must see it) and runs it.
  void accept(json job) {
    if (!job.is_object() || !job.contains("id") || !job["id"].is_string() ||
        job["id"].get<std::string>().empty()) {
      spdlog::error("job-take: a job without a string id cannot be answered: {}",
                    job.dump().substr(0, 200));
      return;
    }
    std::string id = job["id"].get<std::string>();
    // The platform may hand the same id out again (/retry): each run gets its own record.
    uint64_t n = ++times_seen[id];
    std::string internal = n == 1 ? id : id + "~" + std::to_string(n);

    std::variant<job_spec, JobInputError> parsed = JobInputError{"job has no \"input\""};
    if (job.contains("input")) {
      json envelope{{"input", job["input"]}};
      if (job.contains("policy")) envelope["policy"] = job["policy"];
      parsed = parse_job_request(envelope.dump(), limits);
    }
    std::string model;
    if (auto* spec = std::get_if<job_spec>(&parsed)) model = spec->params.model;
    held[internal] = HeldJob{id, model, false};
    held_per_model[model]++;
    job_log(spdlog::level::info, id, "taken from RunPod");
    net::co_spawn(io, run_job(id, internal, std::move(parsed)), net::detached);
  }

  void release(const std::string& internal) {
    auto it = held.find(internal);
    if (it == held.end()) return;
    if (--held_per_model[it->second.model] <= 0) held_per_model.erase(it->second.model);
    held.erase(it);
    slot_timer.cancel();  // a free slot: the take loop goes again
  }

  // -- one job -----------------------------------------------------------------------------
  net::awaitable<void> run_job(std::string id, std::string internal,
                               std::variant<job_spec, JobInputError> parsed) {
    std::string body;
    bool is_stream = false;
    bool post_result = true;
    if (auto* err = std::get_if<JobInputError>(&parsed)) {
      job_log(spdlog::level::warn, id, "invalid input: {}", err->message);
      body = json{{"error", err->message}}.dump();
    } else {
      job_spec spec = std::move(std::get<job_spec>(parsed));
      spec.id = internal;
      spec.retention_ms = config.runsync_retention_s * 1000;
      is_stream = spec.params.stream;
      auto adm = co_await ask<admission>(
          [this, &spec](auto cb) { actors.submit(std::move(spec), std::move(cb)); });
      if (!adm.value) {
        body = json{{"error", "worker unavailable: " + adm.error}}.dump();
      } else if (!adm.value->accepted) {
        body = json{{"error", adm.value->error.empty() ? "job not accepted" : adm.value->error}}
                   .dump();
      } else {
        job_view v;
        if (is_stream)
          v = co_await follow_stream(id, internal);
        else
          v = co_await wait_final(internal);
        if (v.status == job_state::cancelled && held[internal].stop_requested) {
          job_log(spdlog::level::info, id, "stopped by RunPod; no result is posted");
          post_result = false;
        } else {
          body = result_body(v, is_stream);
        }
      }
    }
    if (post_result) {
      body = guard_size(id, std::move(body));
      // RunPod's refresh_worker: the platform replaces this worker after the job.
      if (rp.refresh_worker)
        body.insert(body.size() - 1, body == "{}" ? "\"stopPod\":true" : ",\"stopPod\":true");
      auto url = with_query(expand_template(rp.post_output_url, rp.pod_id, id),
                            is_stream ? "isStream=true" : "isStream=false");
      co_await post("job-done", url, std::move(body), id);
    }
    release(internal);
    if (rp.refresh_worker && taking) {
      spdlog::info("--runpod-refresh-worker: this worker stops after its job");
      stop_taking();
    }
  }

  net::awaitable<job_view> wait_final(const std::string& internal) {
    for (;;) {
      auto v = co_await ask<job_view>(
          [this, &internal](auto cb) { actors.wait(internal, milliseconds(60'000), std::move(cb)); });
      if (!v.value) {
        job_view failed;
        failed.status = std::string(job_state::failed);
        failed.error = "worker lost track of the job: " + v.error;
        co_return failed;
      }
      if (!v.value->found || job_state::is_final(v.value->status)) co_return std::move(*v.value);
    }
  }

  // Forwards each chunk to job-stream as it comes, with a progress update now and then.
  net::awaitable<job_view> follow_stream(const std::string& id, const std::string& internal) {
    std::vector<std::string> chunks_json;  // kept only for --runpod-aggregate-stream
    size_t chunks = 0;
    std::optional<clock_type::time_point> last_progress;
    const auto stream_url = with_query(expand_template(rp.post_stream_url, rp.pod_id, id),
                                       "isStream=true");
    for (;;) {
      auto v = co_await ask<job_view>([this, &internal](auto cb) {
        actors.follow_stream(internal, milliseconds(1000), std::move(cb));
      });
      if (!v.value) {
        job_view failed;
        failed.status = std::string(job_state::failed);
        failed.error = "worker lost track of the job: " + v.error;
        co_return failed;
      }
      for (auto& chunk : v.value->stream) {
        co_await post("job-stream", stream_url, object_with_raw("output", chunk), id);
        ++chunks;
        if (rp.aggregate_stream) chunks_json.push_back(std::move(chunk));
      }
      const bool final = !v.value->found || job_state::is_final(v.value->status);
      if (!final && chunks > 0 && rp.progress_interval_ms > 0 &&
          (!last_progress ||
           clock_type::now() - *last_progress >= milliseconds(rp.progress_interval_ms))) {
        last_progress = clock_type::now();
        json progress{{"status", "IN_PROGRESS"}, {"output", {{"chunks_streamed", chunks}}}};
        co_await post("job-progress",
                      with_query(expand_template(rp.post_output_url, rp.pod_id, id),
                                 "isStream=false"),
                      progress.dump(), id);
      }
      if (final) {
        auto out = std::move(*v.value);
        out.stream.clear();
        if (out.status == job_state::completed) {
          if (rp.aggregate_stream) {
            // RunPod's return_aggregate_stream: the list of every streamed output.
            std::string list = "[";
            for (const auto& c : chunks_json) {
              if (list.size() > 1) list += ',';
              list += c;
            }
            out.output_json = list + "]";
          } else {
            // The audio went out in the chunks; the result is the summary.
            auto summary = json::parse(out.output_json, nullptr, false);
            if (summary.is_object()) {
              summary.erase("audio_base64");
              summary["chunks"] = chunks;
              out.output_json = summary.dump();
            }
          }
        }
        co_return out;
      }
    }
  }

  std::string result_body(const job_view& v, bool is_stream) const {
    if (!v.found) return json{{"error", "the job's record expired before it finished"}}.dump();
    if (v.status == job_state::completed)
      return v.output_json.empty() ? std::string("{}") : object_with_raw("output", v.output_json);
    std::string error = v.error;
    if (error.empty())
      error = v.status == job_state::cancelled ? "job cancelled on the worker" : "job " + v.status;
    return json{{"error", error}}.dump();
  }

  std::string guard_size(const std::string& id, std::string body) const {
    if (body.size() <= rp.max_result_bytes) return body;
    std::string message =
        "the result is " + std::to_string(body.size()) + " bytes, more than the " +
        std::to_string(rp.max_result_bytes) +
        " bytes RunPod takes for a job result (--runpod-max-result-bytes); ask for a compressed "
        "\"format\" (opus or mp3), a lower \"sample_rate\", shorter \"text\", or \"stream\": true "
        "(chunks go to /stream), or upload the audio and return its URL";
    job_log(spdlog::level::warn, id, "{}", message);
    return json{{"error", message}}.dump();
  }

  // -- posting -----------------------------------------------------------------------------
  // Retries on 5xx, 429 and lost connections with a growing pause until --runpod-result-retry
  // has passed (the SDK gives up after three tries and never retries a lost connection).
  net::awaitable<bool> post(std::string call, std::string url, std::string body, std::string id) {
    std::unique_ptr<HttpConnection> conn;
    if (!idle_conns.empty()) {
      conn = std::move(idle_conns.back());
      idle_conns.pop_back();
    } else {
      conn = std::make_unique<HttpConnection>(tls);
    }
    auto h = headers();
    h["X-Request-ID"] = id;
    const auto deadline = clock_type::now() + std::chrono::seconds(rp.result_retry_s);
    milliseconds pause(100);
    bool ok = false;
    for (int attempt = 1;; ++attempt) {
      auto a = co_await conn->request("POST", url, h, body, milliseconds(30'000));
      record(call, a);
      if (a.status >= 200 && a.status < 300) {
        ok = true;
        break;
      }
      const bool again = a.status == 0 || a.status >= 500 || a.status == 429 || a.status == 408;
      std::string why = a.status ? "HTTP " + std::to_string(a.status) + " " + a.body.substr(0, 200)
                                 : a.error;
      if (!again) {
        job_log(spdlog::level::err, id, "RunPod refused the {}: {}", call, why);
        break;
      }
      if (clock_type::now() + pause > deadline) {
        job_log(spdlog::level::err, id, "{} given up after {} tries: {}", call, attempt, why);
        break;
      }
      job_log(spdlog::level::warn, id, "{} try {} failed ({}); again in {} ms", call, attempt, why,
              pause.count());
      co_await sleep(pause);
      pause = std::min(milliseconds(5000), pause * 2);
    }
    idle_conns.push_back(std::move(conn));
    co_return ok;
  }

  void stop_taking() {
    taking = false;
    take_conn.close();  // ends the long-poll in flight
    slot_timer.cancel();
  }
};

QueueWorker::QueueWorker(const Config& config, ActorClient& actors)
    : impl_(std::make_unique<Impl>(config, actors)) {}

QueueWorker::~QueueWorker() {
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

void QueueWorker::start(std::function<void(int)> finished) {
  impl_->finished = std::move(finished);
  // Coroutines waiting for actors hold no asio work: keep the loop running until finish().
  impl_->work.emplace(impl_->io.get_executor());
  net::co_spawn(impl_->io, impl_->main_loop(), net::detached);
  impl_->thread = std::thread([impl = impl_.get()] { impl->io.run(); });
}

void QueueWorker::shutdown() {
  net::post(impl_->io, [impl = impl_.get()] {
    if (!impl->taking) return;
    spdlog::info("RunPod queue worker: taking no new jobs; {} held", impl->held.size());
    impl->stop_taking();
  });
}

}  // namespace warmtts
