#include "tests/support/runpod_emulator.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <random>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

namespace warmtts::testing {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using nlohmann::json;
using clock_type = std::chrono::steady_clock;

namespace {

std::string new_uuid(std::mt19937_64& rng) {
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) s += '-';
    s += hex[rng() % 16];
  }
  return s;
}

bool is_final(const std::string& s) {
  return s == "COMPLETED" || s == "FAILED" || s == "CANCELLED" || s == "TIMED_OUT";
}

int64_t ms_between(clock_type::time_point a, clock_type::time_point b) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count();
}

// True once the peer has closed its side (a worker gave up a long-poll).
bool peer_closed(tcp::socket& s) {
  char c;
  ssize_t n = ::recv(s.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0;
}

struct Answer {
  int status = 200;  // 0: drop
  std::string body;
  std::string content_type = "application/json";
};

Answer json_answer(int status, const json& body) { return Answer{status, body.dump()}; }

}  // namespace

struct RunPodEmulator::Impl {
  RunPodEmulatorOptions options;
  net::io_context io;
  tcp::acceptor acceptor{io};
  std::thread accept_thread;

  mutable std::mutex mutex;
  std::condition_variable changed;  // a job queued, finished or stopped; stopping
  std::map<std::string, Job> jobs;
  std::deque<std::string> queue;
  std::map<std::string, std::vector<std::string>> stops;  // worker → job ids to stop
  std::map<std::string, std::vector<Scripted>> scripts;
  std::vector<Request> requests;
  std::map<std::string, int> open_takes, max_open_takes;
  std::map<std::string, clock_type::time_point> workers_seen;
  std::mt19937_64 rng;
  bool stopping = false;

  std::mutex connections_mutex;
  std::vector<std::shared_ptr<tcp::socket>> sockets;
  std::vector<std::thread> connections;

  // -- jobs ---------------------------------------------------------------------------------
  std::string create_job(const json& input, bool sync) {  // with the lock held
    std::string id = (sync ? "sync-" : "") + new_uuid(rng) + (sync ? "-e1" : "-u1");
    Job j;
    j.id = id;
    j.status = "IN_QUEUE";
    j.input = input;
    j.created = clock_type::now();
    jobs[id] = std::move(j);
    queue.push_back(id);
    changed.notify_all();
    return id;
  }

  json status_object(const Job& j) const {
    json out{{"id", j.id}, {"status", j.status}};
    if (j.deliveries > 0) {
      out["delayTime"] = ms_between(j.created, j.taken);
      if (is_final(j.status)) out["executionTime"] = ms_between(j.taken, j.finished);
    }
    if (!j.output.is_null()) out["output"] = j.output;
    if (!j.error.empty()) out["error"] = j.error;
    if (!j.worker.empty()) out["workerId"] = j.worker;
    return out;
  }

  // -- public API -----------------------------------------------------------------------------
  Answer public_api(const std::string& verb, const std::vector<std::string>& parts,
                    const std::map<std::string, std::string>& query, const std::string& body,
                    const std::string& auth) {
    // Clients may leave the key out (tests, curl); a wrong one is refused like RunPod does.
    if (!auth.empty() && auth != options.api_key && auth != "Bearer " + options.api_key)
      return json_answer(401, {{"error", "Unauthorized: bad API key"}});
    const std::string& op = parts[0];
    std::unique_lock lock(mutex);
    if ((op == "run" || op == "runsync") && verb == "POST") {
      auto doc = json::parse(body, nullptr, false);
      if (doc.is_discarded() || !doc.is_object() || !doc.contains("input"))
        return json_answer(400, {{"error", "body must be {\"input\": {...}}"}});
      std::string id = create_job(doc["input"], op == "runsync");
      if (op == "run") return json_answer(200, {{"id", id}, {"status", "IN_QUEUE"}});
      int wait_ms = 90'000;
      if (auto it = query.find("wait"); it != query.end()) wait_ms = std::stoi(it->second);
      changed.wait_for(lock, std::chrono::milliseconds(wait_ms),
                       [&] { return stopping || is_final(jobs[id].status); });
      return json_answer(200, status_object(jobs[id]));
    }
    if (op == "health" && verb == "GET") {
      int completed = 0, failed = 0, in_progress = 0, in_queue = 0, retried = 0;
      std::map<std::string, int> running;
      for (const auto& [id, j] : jobs) {
        completed += j.status == "COMPLETED";
        failed += j.status == "FAILED" || j.status == "TIMED_OUT";
        in_queue += j.status == "IN_QUEUE";
        retried += j.retried;
        if (j.status == "IN_PROGRESS") {
          ++in_progress;
          running[j.worker]++;
        }
      }
      int idle = 0;
      auto now = clock_type::now();
      for (const auto& [w, seen] : workers_seen)
        if (now - seen < std::chrono::seconds(10) && !running.count(w)) ++idle;
      return json_answer(200, {{"jobs",
                                {{"completed", completed},
                                 {"failed", failed},
                                 {"inProgress", in_progress},
                                 {"inQueue", in_queue},
                                 {"retried", retried}}},
                               {"workers", {{"idle", idle}, {"running", running.size()}}}});
    }
    if (op == "purge-queue" && verb == "POST") {
      int removed = 0;
      for (const auto& id : queue) {
        if (jobs.erase(id)) ++removed;
      }
      queue.clear();
      return json_answer(200, {{"removed", removed}, {"status", "completed"}});
    }
    if (parts.size() != 2)
      return json_answer(404, {{"error", "no route /" + op}});
    const std::string& id = parts[1];
    auto it = jobs.find(id);
    if (it == jobs.end()) return json_answer(404, {{"error", "job " + id + " not found"}});
    Job& j = it->second;
    if (op == "status" && (verb == "GET" || verb == "POST")) return json_answer(200, status_object(j));
    if (op == "stream" && (verb == "GET" || verb == "POST")) {
      json stream = json::array();
      for (; j.stream_delivered < j.stream.size(); ++j.stream_delivered)
        stream.push_back({{"output", j.stream[j.stream_delivered]}});
      return json_answer(200, {{"status", j.status}, {"stream", stream}});
    }
    if (op == "cancel" && verb == "POST") {
      if (j.status == "IN_QUEUE") {
        queue.erase(std::remove(queue.begin(), queue.end(), id), queue.end());
      } else if (j.status == "IN_PROGRESS") {
        stops[j.worker].push_back(id);  // the worker hears it on job-stop
      }
      if (!is_final(j.status)) {
        j.status = "CANCELLED";
        j.finished = clock_type::now();
      }
      changed.notify_all();
      return json_answer(200, {{"id", id}, {"status", j.status}});
    }
    if (op == "retry" && verb == "POST") {
      if (j.status != "FAILED" && j.status != "TIMED_OUT")
        return json_answer(400, {{"error", "only FAILED or TIMED_OUT jobs can be retried; job " +
                                               id + " is " + j.status}});
      j.status = "IN_QUEUE";
      j.output = nullptr;
      j.error.clear();
      j.retried++;
      queue.push_back(id);
      changed.notify_all();
      return json_answer(200, {{"id", id}, {"status", "IN_QUEUE"}});
    }
    return json_answer(405, {{"error", verb + " /" + op + " is not a public API call"}});
  }

  // -- worker side ----------------------------------------------------------------------------
  Answer take(tcp::socket& socket, const std::string& worker, size_t batch, bool batch_call) {
    std::unique_lock lock(mutex);
    open_takes[worker]++;
    max_open_takes[worker] = std::max(max_open_takes[worker], open_takes[worker]);
    auto deadline = clock_type::now() + std::chrono::milliseconds(options.faults.long_poll_ms);
    while (!stopping && queue.empty() && clock_type::now() < deadline) {
      changed.wait_for(lock, std::chrono::milliseconds(50));
      if (peer_closed(socket)) break;  // the worker gave up this poll
    }
    open_takes[worker]--;
    if (stopping || queue.empty() || peer_closed(socket)) return Answer{204, "", ""};
    json taken = json::array();
    while (!queue.empty() && taken.size() < batch) {
      Job& j = jobs[queue.front()];
      queue.pop_front();
      j.status = "IN_PROGRESS";
      j.worker = worker;
      j.deliveries++;
      j.taken = clock_type::now();
      taken.push_back({{"id", j.id}, {"input", j.input}});
    }
    if (!batch_call) return json_answer(200, taken[0]);
    return json_answer(200, taken);
  }

  // A take answer that did not reach the worker: its jobs go back to the front of the queue.
  void untake(const std::string& body) {
    auto doc = json::parse(body, nullptr, false);
    if (doc.is_object()) doc = json::array({doc});
    if (!doc.is_array()) return;
    std::lock_guard lock(mutex);
    for (auto it = doc.rbegin(); it != doc.rend(); ++it) {
      auto j = jobs.find((*it)["id"].get<std::string>());
      if (j == jobs.end() || j->second.status != "IN_PROGRESS") continue;
      j->second.status = "IN_QUEUE";
      j->second.deliveries--;
      queue.push_front(j->first);
    }
    changed.notify_all();
  }

  Answer job_done(const std::string& worker, const std::string& id,
                  const std::map<std::string, std::string>& query, const std::string& body) {
    // RunPod's SDK sends JSON text with a form content type: the body is read as JSON whatever
    // the header says.
    auto doc = json::parse(body, nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
      return json_answer(400, {{"error", "job-done body must be a JSON object"}});
    std::lock_guard lock(mutex);
    auto it = jobs.find(id);
    if (it == jobs.end()) return json_answer(404, {{"error", "job " + id + " not found"}});
    Job& j = it->second;
    if (j.status != "IN_PROGRESS" || j.worker != worker) {
      j.late_results++;
      return json_answer(200, {{"status", "ignored"}});
    }
    if (doc.value("status", "") == "IN_PROGRESS") {
      j.progress_updates++;
      j.output = doc.contains("output") ? doc["output"] : json();
      changed.notify_all();
      return json_answer(200, {{"status", "ok"}});
    }
    j.results++;
    j.stop_pod = doc.value("stopPod", false);
    j.result_is_stream = query.count("isStream") && query.at("isStream") == "true";
    j.finished = clock_type::now();
    if (doc.contains("error")) {
      j.status = "FAILED";
      j.error = doc["error"].is_string() ? doc["error"].get<std::string>() : doc["error"].dump();
      j.output = doc.contains("output") ? doc["output"] : json();
    } else {
      j.status = "COMPLETED";
      j.output = doc.contains("output") ? doc["output"] : json();
    }
    changed.notify_all();
    return json_answer(200, {{"status", "ok"}});
  }

  Answer job_stream(const std::string& worker, const std::string& id, const std::string& body) {
    auto doc = json::parse(body, nullptr, false);
    if (doc.is_discarded() || !doc.is_object() || !doc.contains("output"))
      return json_answer(400, {{"error", "job-stream body must be {\"output\": ...}"}});
    std::lock_guard lock(mutex);
    auto it = jobs.find(id);
    if (it == jobs.end()) return json_answer(404, {{"error", "job " + id + " not found"}});
    if (it->second.status == "IN_PROGRESS" && it->second.worker == worker)
      it->second.stream.push_back(doc["output"]);
    return json_answer(200, {{"status", "ok"}});
  }

  Answer job_stop(tcp::socket& socket, const std::string& worker) {
    std::unique_lock lock(mutex);
    auto deadline = clock_type::now() + std::chrono::milliseconds(options.faults.long_poll_ms);
    while (!stopping && stops[worker].empty() && clock_type::now() < deadline) {
      changed.wait_for(lock, std::chrono::milliseconds(50));
      if (peer_closed(socket)) break;
    }
    if (stops[worker].empty()) return Answer{204, "", ""};
    json ids = stops[worker];
    stops[worker].clear();
    return json_answer(200, {{"jobsToStop", ids}});
  }

  // -- one connection ---------------------------------------------------------------------------
  void serve(tcp::socket& s) {
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(256u << 20);
      beast::error_code ec;
      http::read(s, buffer, parser, ec);
      if (ec) return;
      auto req = parser.release();
      std::string target(req.target());
      auto url = boost::urls::parse_origin_form(target);
      if (!url) return;
      std::vector<std::string> parts;
      for (auto seg : url->segments()) parts.push_back(std::string(seg));
      std::map<std::string, std::string> query;
      for (auto p : url->params()) query[std::string(p.key)] = std::string(p.value);
      std::string verb(req.method_string());
      const std::string prefix_ep = options.endpoint_id;

      Answer answer{404, json{{"error", "no route " + target}}.dump()};
      std::string take_body_if_dropped;
      bool worker_side = false;
      if (parts.size() >= 3 && parts[0] == "v2" && parts[1] == prefix_ep) {
        std::vector<std::string> rest(parts.begin() + 2, parts.end());
        static const std::vector<std::string> worker_calls = {
            "job-take", "job-take-batch", "job-done", "job-stream", "ping", "job-stop"};
        if (std::find(worker_calls.begin(), worker_calls.end(), rest[0]) != worker_calls.end()) {
          worker_side = true;
          answer = worker_call(s, req, target, rest, query, verb);
          if (answer.status < 0) return;  // dropped
        } else {
          answer = public_api(verb, rest, query, req.body(),
                              std::string(req[http::field::authorization]));
        }
      }
      http::response<http::string_body> res{static_cast<http::status>(answer.status),
                                            req.version()};
      res.keep_alive(req.keep_alive());
      if (!answer.content_type.empty()) res.set(http::field::content_type, answer.content_type);
      res.body() = answer.body;
      res.prepare_payload();
      http::write(s, res, ec);
      if (ec) {
        // A job handed out in an answer that did not arrive goes back to the queue.
        if (worker_side && (parts[2] == "job-take" || parts[2] == "job-take-batch") &&
            answer.status == 200)
          untake(answer.body);
        return;
      }
      if (!res.keep_alive()) return;
    }
  }

  // Worker-side call with faults and scripts. Answer status -1: the connection was dropped.
  Answer worker_call(tcp::socket& s, const http::request<http::string_body>& req,
                     const std::string& target, const std::vector<std::string>& rest,
                     const std::map<std::string, std::string>& query, const std::string& verb) {
    const std::string& call = rest[0];
    Request rec;
    rec.call = call;
    rec.target = target;
    rec.worker = rest.size() > 1 ? rest[1] : "";
    rec.job_id = rest.size() > 2 ? rest[2] : "";
    rec.query = query;
    for (const auto& f : req) {
      std::string name(f.name_string());
      std::transform(name.begin(), name.end(), name.begin(), ::tolower);
      rec.headers[name] = std::string(f.value());
    }
    rec.body = req.body().substr(0, 64u << 10);
    rec.at = clock_type::now();

    auto finish = [&](Answer a) {
      std::lock_guard lock(mutex);
      rec.answered = a.status < 0 ? 0 : a.status;
      requests.push_back(rec);
      return a;
    };

    RunPodFaults faults;
    std::optional<Scripted> scripted;
    double draw;
    {
      std::lock_guard lock(mutex);
      faults = options.faults;
      workers_seen[rec.worker] = clock_type::now();
      std::string key = call == "job-take-batch" ? "job-take" : call;
      if (auto it = scripts.find(key); it != scripts.end() && !it->second.empty()) {
        scripted = it->second.front();
        it->second.erase(it->second.begin());
      }
      draw = std::uniform_real_distribution<double>(0, 1)(rng);
    }
    if (faults.latency_ms > 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(faults.latency_ms));
    if (scripted) {
      if (scripted->status == 0) return finish(Answer{-1, "", ""});
      return finish(Answer{scripted->status, scripted->body, scripted->content_type});
    }
    if (draw < faults.drop_rate) return finish(Answer{-1, "", ""});
    if (draw < faults.drop_rate + faults.error_rate)
      return finish(json_answer(500, {{"error", "emulated server error"}}));
    if (draw < faults.drop_rate + faults.error_rate + faults.throttle_rate)
      return finish(json_answer(429, {{"error", "emulated throttling"}}));

    if (std::string(req[http::field::authorization]) != options.api_key)
      return finish(json_answer(401, {{"error", "worker calls need the raw API key"}}));
    if (rec.worker.empty()) return finish(json_answer(404, {{"error", "no worker id"}}));
    if ((call == "job-take" || call == "job-take-batch") && verb == "GET") {
      size_t batch = 1;
      if (call == "job-take-batch") {
        auto it = query.find("batch_size");
        batch = it == query.end() ? 1 : std::max(1, std::atoi(it->second.c_str()));
      }
      return finish(take(s, rec.worker, batch, call == "job-take-batch"));
    }
    if (call == "job-done" && verb == "POST" && !rec.job_id.empty())
      return finish(job_done(rec.worker, rec.job_id, query, req.body()));
    if (call == "job-stream" && verb == "POST" && !rec.job_id.empty())
      return finish(job_stream(rec.worker, rec.job_id, req.body()));
    if (call == "ping" && verb == "GET") return finish(json_answer(200, {{"status", "pong"}}));
    if (call == "job-stop" && verb == "GET") return finish(job_stop(s, rec.worker));
    return finish(json_answer(405, {{"error", verb + " " + call + " is not a worker call"}}));
  }
};

RunPodEmulator::RunPodEmulator(RunPodEmulatorOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->rng.seed(impl_->options.seed);
  tcp::endpoint ep(net::ip::make_address(impl_->options.host), impl_->options.port);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  impl_->accept_thread = std::thread([this] {
    for (;;) {
      auto socket = std::make_shared<tcp::socket>(impl_->io);
      beast::error_code ec;
      impl_->acceptor.accept(*socket, ec);
      if (impl_->stopping) return;
      if (ec) continue;
      socket->set_option(tcp::no_delay(true), ec);
      std::lock_guard lock(impl_->connections_mutex);
      impl_->sockets.push_back(socket);
      impl_->connections.emplace_back([this, socket] {
        try {
          impl_->serve(*socket);
        } catch (const std::exception&) {
        }
        beast::error_code ec2;
        socket->shutdown(tcp::socket::shutdown_both, ec2);
        socket->close(ec2);
      });
    }
  });
}

RunPodEmulator::~RunPodEmulator() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
    impl_->changed.notify_all();
  }
  beast::error_code ec;
  // Wakes the accept() with a connection of our own, then closes.
  {
    tcp::socket poke(impl_->io);
    poke.connect(impl_->acceptor.local_endpoint(), ec);
  }
  impl_->accept_thread.join();
  impl_->acceptor.close(ec);
  std::lock_guard lock(impl_->connections_mutex);
  for (auto& s : impl_->sockets) s->shutdown(tcp::socket::shutdown_both, ec);
  for (auto& t : impl_->connections) t.join();
}

uint16_t RunPodEmulator::port() const { return impl_->acceptor.local_endpoint().port(); }

std::string RunPodEmulator::base_url() const {
  return "http://" + impl_->options.host + ":" + std::to_string(port()) + "/v2/" +
         impl_->options.endpoint_id;
}

const RunPodEmulatorOptions& RunPodEmulator::options() const { return impl_->options; }

std::map<std::string, std::string> RunPodEmulator::worker_environment(const std::string& worker_id,
                                                                      int ping_interval_ms) const {
  const std::string base = base_url();
  return {
      {"RUNPOD_WEBHOOK_GET_JOB", base + "/job-take/$ID?gpu=EMULATED+GPU"},
      {"RUNPOD_WEBHOOK_POST_OUTPUT", base + "/job-done/$RUNPOD_POD_ID/$ID?gpu=EMULATED+GPU"},
      {"RUNPOD_WEBHOOK_POST_STREAM", base + "/job-stream/$RUNPOD_POD_ID/$ID?gpu=EMULATED+GPU"},
      {"RUNPOD_WEBHOOK_PING", base + "/ping/$RUNPOD_POD_ID"},
      {"RUNPOD_PING_INTERVAL", std::to_string(ping_interval_ms)},
      {"RUNPOD_AI_API_KEY", impl_->options.api_key},
      {"RUNPOD_POD_ID", worker_id},
  };
}

void RunPodEmulator::set_faults(const RunPodFaults& faults) {
  std::lock_guard lock(impl_->mutex);
  impl_->options.faults = faults;
}

void RunPodEmulator::script(const std::string& call, std::vector<Scripted> answers) {
  std::lock_guard lock(impl_->mutex);
  auto& s = impl_->scripts[call];
  s.insert(s.end(), answers.begin(), answers.end());
}

std::string RunPodEmulator::submit(const nlohmann::json& input) {
  std::lock_guard lock(impl_->mutex);
  return impl_->create_job(input, false);
}

std::vector<RunPodEmulator::Request> RunPodEmulator::requests(const std::string& call) const {
  std::lock_guard lock(impl_->mutex);
  if (call.empty()) return impl_->requests;
  std::vector<Request> out;
  for (const auto& r : impl_->requests)
    if (r.call == call) out.push_back(r);
  return out;
}

std::optional<RunPodEmulator::Job> RunPodEmulator::job(const std::string& id) const {
  std::lock_guard lock(impl_->mutex);
  auto it = impl_->jobs.find(id);
  if (it == impl_->jobs.end()) return std::nullopt;
  return it->second;
}

std::vector<RunPodEmulator::Job> RunPodEmulator::jobs() const {
  std::lock_guard lock(impl_->mutex);
  std::vector<Job> out;
  for (const auto& [id, j] : impl_->jobs) out.push_back(j);
  return out;
}

int RunPodEmulator::max_open_takes(const std::string& worker) const {
  std::lock_guard lock(impl_->mutex);
  auto it = impl_->max_open_takes.find(worker);
  return it == impl_->max_open_takes.end() ? 0 : it->second;
}

bool RunPodEmulator::wait_for(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  auto deadline = clock_type::now() + timeout;
  while (!done()) {
    if (clock_type::now() >= deadline) return done();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace warmtts::testing
