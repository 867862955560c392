#include "actors/dispatcher.hpp"

#include <deque>
#include <map>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/states.hpp"
#include "monitoring/logging.hpp"
#include "monitoring/metrics.hpp"

namespace warmtts {
namespace {

struct replica {
  model_actor handle;
  model_status status;
  std::string running_job;  // "" when idle
};

struct model_queue {
  std::deque<job_spec> jobs;
  std::vector<std::string> replicas;
};

struct dispatcher_state {
  static inline const char* name = "dispatcher";
  dispatcher_options options;
  std::map<std::string, replica> replicas;        // by "model@device"
  std::map<std::string, model_queue> models;      // by model name
  std::map<std::string, std::string> running;     // job id -> replica
  std::map<std::string, std::string> job_models;  // job id -> model, while queued or running
  bool draining = false;
  bool all_ready_seen = false;
  std::vector<caf::typed_response_promise<bool>> drain_waiters;
};

using self_ptr = dispatcher_actor::stateful_pointer<dispatcher_state>;

std::string model_of(const std::string& replica_name) {
  return replica_name.substr(0, replica_name.find('@'));
}

// The state of a model as admission sees it: READY if a replica is, else starting if one may
// still become READY, else FAILED (with every replica's reason).
struct model_summary {
  bool ready = false;
  bool starting = false;
  std::string reasons;
};

model_summary summarize(const dispatcher_state& st, const std::string& model) {
  model_summary s;
  for (const auto& name : st.models.at(model).replicas) {
    const auto& r = st.replicas.at(name).status;
    if (r.state == model_state::ready) s.ready = true;
    if (model_state::is_starting(r.state)) s.starting = true;
    if (r.state == model_state::failed || r.state == model_state::draining)
      s.reasons += (s.reasons.empty() ? "" : "; ") + name + " is " + r.state +
                   (r.reason.empty() ? "" : ": " + r.reason);
  }
  return s;
}

void update_gauges(self_ptr self, const std::string& model) {
  auto& st = self->state;
  size_t in_progress = 0;
  for (const auto& name : st.models[model].replicas)
    if (!st.replicas[name].running_job.empty()) ++in_progress;
  Metrics::global().jobs_in_queue(model, static_cast<double>(st.models[model].jobs.size()));
  Metrics::global().jobs_in_progress(model, static_cast<double>(in_progress));
}

void finish(self_ptr self, const std::string& id, job_outcome out) {
  self->state.job_models.erase(id);
  self->send(self->state.options.registry, atoms::finished::value, id, std::move(out));
}

void check_drained(self_ptr self) {
  auto& st = self->state;
  if (!st.draining || !st.job_models.empty() || st.drain_waiters.empty()) return;
  for (auto& [name, r] : st.replicas)
    if (r.handle) self->send(r.handle, atoms::drain::value);
  for (auto& rp : st.drain_waiters) rp.deliver(true);
  st.drain_waiters.clear();
}

void try_dispatch(self_ptr self, const std::string& model);

void on_job_done(self_ptr self, const std::string& replica_name, const std::string& id,
                 job_outcome out) {
  auto& st = self->state;
  st.running.erase(id);
  auto& r = st.replicas[replica_name];
  if (r.running_job == id) r.running_job.clear();
  // Already finished (cancelled, timed out) jobs are ignored by the registry's state machine.
  finish(self, id, std::move(out));
  update_gauges(self, model_of(replica_name));
  try_dispatch(self, model_of(replica_name));
  check_drained(self);
}

void try_dispatch(self_ptr self, const std::string& model) {
  auto& st = self->state;
  auto& q = st.models[model];
  for (const auto& name : q.replicas) {
    if (q.jobs.empty()) break;
    auto& r = st.replicas[name];
    if (!r.handle || r.status.state != model_state::ready || !r.running_job.empty()) continue;
    job_spec job = std::move(q.jobs.front());
    q.jobs.pop_front();
    r.running_job = job.id;
    st.running[job.id] = name;
    self->send(st.options.registry, atoms::started::value, job.id);
    if (job.execution_timeout_ms > 0)
      self->delayed_send(self, std::chrono::milliseconds(job.execution_timeout_ms),
                         atoms::timeout::value, job.id);
    {
      logging::JobScope scope(job.id);
      spdlog::debug("started on {}", name);
    }
    std::string id = job.id;
    self->request(r.handle, caf::infinite, atoms::run::value, std::move(job))
        .then(
            [self, name, id](job_outcome& out) { on_job_done(self, name, id, std::move(out)); },
            [self, name, id](caf::error& err) {
              on_job_done(self, name, id,
                          job_outcome{std::string(job_state::failed),
                                      name + " did not answer: " + self->system().render(err),
                                      {}});
            });
  }
  update_gauges(self, model);
}

// Fails every queued job of a model that can no longer become READY.
void fail_queue(self_ptr self, const std::string& model, const std::string& reason) {
  auto& q = self->state.models[model];
  while (!q.jobs.empty()) {
    auto id = q.jobs.front().id;
    q.jobs.pop_front();
    finish(self, id, job_outcome{std::string(job_state::failed), reason, {}});
  }
  update_gauges(self, model);
  check_drained(self);
}

void note_cold_start(self_ptr self) {
  auto& st = self->state;
  if (st.all_ready_seen) return;
  for (const auto& [name, r] : st.replicas)
    if (r.status.state != model_state::ready) return;
  st.all_ready_seen = true;
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                           st.options.process_start)
                 .count();
  Metrics::global().cold_start_seconds(s);
  spdlog::info("all {} model replicas READY, {:.2f} s after start", st.replicas.size(), s);
}

dispatcher_actor::behavior_type dispatcher_behavior(self_ptr self, dispatcher_options options) {
  auto& st = self->state;
  st.options = std::move(options);
  for (const auto& name : st.options.replicas) {
    auto& r = st.replicas[name];
    r.status.replica = name;
    r.status.model = model_of(name);
    r.status.device = name.substr(name.find('@') + 1);
    r.status.state = std::string(model_state::unloaded);
    st.models[r.status.model].replicas.push_back(name);
  }
  self->set_down_handler([self](caf::down_msg& msg) {
    auto& st = self->state;
    for (auto& [name, r] : st.replicas) {
      if (r.handle.address() != msg.source) continue;
      r.status.state = std::string(model_state::failed);
      r.status.reason = "model actor exited: " + self->system().render(msg.reason);
      Metrics::global().model_state(r.status.model, r.status.device, r.status.state);
      auto model = r.status.model;
      if (auto s = summarize(st, model); !s.ready && !s.starting) fail_queue(self, model, s.reasons);
    }
  });

  return {
      [self](atoms::submit, job_spec& job) -> admission {
        auto& st = self->state;
        const auto model = job.params.model;
        auto it = st.models.find(model);
        if (st.draining)
          return {false, 503, "", "this worker is shutting down and takes no new jobs"};
        if (it == st.models.end())
          return {false, 400, "", "model '" + model + "' is not served by this worker"};
        auto summary = summarize(st, model);
        if (!summary.ready && !summary.starting) {
          // Recorded as FAILED so that /status shows the reason later too.
          self->send(st.options.registry, atoms::created::value, job.id, model,
                     job.retention_ms);
          std::string reason = "model " + model + " cannot serve jobs: " + summary.reasons;
          finish(self, job.id, job_outcome{std::string(job_state::failed), reason, {}});
          return {false, 200, std::string(job_state::failed), reason};
        }
        if (it->second.jobs.size() >= st.options.queue_capacity)
          return {false, 429, "",
                  "the queue for model " + model + " is full (" +
                      std::to_string(st.options.queue_capacity) +
                      " jobs waiting); retry later or raise --queue-capacity"};
        self->send(st.options.registry, atoms::created::value, job.id, model, job.retention_ms);
        st.job_models[job.id] = model;
        self->delayed_send(self, st.options.queue_timeout, atoms::expire::value, job.id);
        it->second.jobs.push_back(std::move(job));
        try_dispatch(self, model);
        return {true, 200, std::string(job_state::in_queue), ""};
      },
      [self](atoms::cancel, const std::string& id) {
        auto& st = self->state;
        auto m = st.job_models.find(id);
        if (m == st.job_models.end()) return false;
        auto& q = st.models[m->second].jobs;
        for (auto it = q.begin(); it != q.end(); ++it) {
          if (it->id != id) continue;
          q.erase(it);
          auto model = m->second;
          finish(self, id, job_outcome{std::string(job_state::cancelled), "", {}});
          update_gauges(self, model);
          check_drained(self);
          return true;
        }
        if (auto r = st.running.find(id); r != st.running.end()) {
          self->send(st.replicas[r->second].handle, atoms::cancel::value, id);
          // The replica stays busy until its engine stops at the next step.
          finish(self, id, job_outcome{std::string(job_state::cancelled), "", {}});
          return true;
        }
        return false;
      },
      [self](atoms::attach, const std::string& name, model_actor handle) {
        auto& st = self->state;
        if (!st.replicas.count(name)) {
          spdlog::error("replica {} is not configured; ignored", name);
          return;
        }
        st.replicas[name].handle = handle;
        self->monitor(handle);
        try_dispatch(self, model_of(name));
      },
      [self](atoms::state, model_status& status) {
        auto& st = self->state;
        auto it = st.replicas.find(status.replica);
        if (it == st.replicas.end()) return;
        it->second.status = std::move(status);
        auto model = it->second.status.model;
        if (auto s = summarize(st, model); !s.ready && !s.starting)
          fail_queue(self, model, "model " + model + " cannot serve jobs: " + s.reasons);
        note_cold_start(self);
        try_dispatch(self, model);
      },
      [self](atoms::models) {
        std::vector<model_status> out;
        for (const auto& [name, r] : self->state.replicas) {
          out.push_back(r.status);
          out.back().busy = !r.running_job.empty();
        }
        return out;
      },
      [self](atoms::drain) -> caf::typed_response_promise<bool> {
        auto& st = self->state;
        st.draining = true;
        auto rp = self->make_response_promise<bool>();
        st.drain_waiters.push_back(rp);
        check_drained(self);
        return rp;
      },
      [self](atoms::expire, const std::string& id) {
        auto& st = self->state;
        auto m = st.job_models.find(id);
        if (m == st.job_models.end()) return;
        auto model = m->second;
        auto& q = st.models[model].jobs;
        for (auto it = q.begin(); it != q.end(); ++it) {
          if (it->id != id) continue;
          q.erase(it);
          auto s = summarize(st, model);
          std::string why = s.ready ? "all replicas were busy" : "the model was still loading";
          finish(self, id,
                 job_outcome{std::string(job_state::failed),
                             "job waited " +
                                 std::to_string(st.options.queue_timeout.count() / 1000) +
                                 " s in the queue for model " + model + " (" + why +
                                 "); retry later or raise --queue-timeout",
                             {}});
          update_gauges(self, model);
          check_drained(self);
          return;
        }
      },
      [self](atoms::timeout, const std::string& id) {
        auto& st = self->state;
        auto r = st.running.find(id);
        if (r == st.running.end()) return;
        self->send(st.replicas[r->second].handle, atoms::cancel::value, id);
        finish(self, id,
               job_outcome{std::string(job_state::timed_out),
                           "job ran longer than its execution timeout (policy.executionTimeout)",
                           {}});
      },
  };
}

}  // namespace

dispatcher_actor spawn_dispatcher(caf::actor_system& sys, dispatcher_options options) {
  return sys.spawn(dispatcher_behavior, std::move(options));
}

}  // namespace warmtts
