#include "actors/job_registry.hpp"

#include <map>
#include <vector>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/job_output.hpp"
#include "actors/job_table.hpp"
#include "actors/states.hpp"
#include "monitoring/logging.hpp"
#include "monitoring/metrics.hpp"

namespace warmtts {
namespace {

using clock_type = JobTable::clock;

double ms_between(clock_type::time_point a, clock_type::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

struct waiter {
  uint64_t token;
  caf::typed_response_promise<job_view> promise;
};

struct job_registry_state {
  static inline const char* name = "job_registry";
  job_registry_options options;
  JobTable table;
  std::map<std::string, std::vector<waiter>> waiters;  // /runsync callers by job id
  std::map<std::string, std::vector<waiter>> stream_waiters;  // stream followers by job id
  uint64_t next_token = 1;
};

job_registry_actor::behavior_type job_registry_behavior(
    job_registry_actor::stateful_pointer<job_registry_state> self, job_registry_options options) {
  self->state.options = options;
  self->delayed_send(self, options.purge_interval, atoms::purge::value);
  return {
      [self](atoms::created, const std::string& id, const std::string& model, uint32_t retention) {
        if (!self->state.table.create(id, model, std::chrono::milliseconds(retention),
                                      clock_type::now()))
          spdlog::error("job id {} exists already; the second submission is ignored", id);
      },
      [self](atoms::started, const std::string& id) {
        self->state.table.start(id, clock_type::now());
      },
      [self](atoms::chunk, const std::string& id, uint32_t index, int32_t rate,
             const std::string& pcm) {
        auto& st = self->state;
        st.table.add_stream_output(id, stream_chunk_json(index, rate, pcm));
        if (auto it = st.stream_waiters.find(id); it != st.stream_waiters.end()) {
          // One follower takes the outputs; any others learn that there is nothing new.
          for (auto& w : it->second) w.promise.deliver(st.table.view(id, true, clock_type::now()));
          st.stream_waiters.erase(it);
        }
      },
      [self](atoms::finished, const std::string& id, job_outcome& out) {
        auto& st = self->state;
        const auto* rec = st.table.find(id);
        if (!rec) return;
        auto now = clock_type::now();
        std::string output;
        double queue_ms = rec->was_started ? ms_between(rec->created, rec->started) : 0;
        if (out.status == job_state::completed)
          output = job_output_json(rec->model, out.result, queue_ms, ms_between(rec->created, now));
        std::string model = rec->model;
        bool was_started = rec->was_started;
        if (!st.table.finish(id, out.status, std::move(output), out.error, now)) return;
        {
          logging::JobScope scope(id);
          if (out.status == job_state::completed)
            spdlog::info("job {}", out.status);
          else
            spdlog::info("job {}: {}", out.status, out.error);
        }
        auto& m = Metrics::global();
        m.job_finished(model, out.status);
        rec = st.table.find(id);
        m.job_duration_seconds(model, ms_between(rec->created, now) / 1000.0);
        if (was_started) m.job_queue_seconds(model, queue_ms / 1000.0);
        if (out.status == job_state::completed) {
          const auto& r = out.result;
          m.job_inference(model, r.inference_ms / 1000.0, r.duration_s,
                          r.duration_s > 0 ? r.inference_ms / 1000.0 / r.duration_s : 0);
          if (r.first_audio_ms > 0) m.first_audio_seconds(model, r.first_audio_ms / 1000.0);
        }
        if (auto it = st.waiters.find(id); it != st.waiters.end()) {
          auto view = st.table.view(id, false, now);
          for (auto& w : it->second) w.promise.deliver(view);
          st.waiters.erase(it);
        }
        if (auto it = st.stream_waiters.find(id); it != st.stream_waiters.end()) {
          for (auto& w : it->second) w.promise.deliver(st.table.view(id, true, now));
          st.stream_waiters.erase(it);
        }
      },
      [self](atoms::status, const std::string& id) {
        return self->state.table.view(id, false, clock_type::now());
      },
      [self](atoms::wait, const std::string& id,
             uint32_t ms) -> caf::typed_response_promise<job_view> {
        auto& st = self->state;
        auto rp = self->make_response_promise<job_view>();
        auto view = st.table.view(id, false, clock_type::now());
        if (!view.found || job_state::is_final(view.status) || ms == 0) {
          rp.deliver(std::move(view));
          return rp;
        }
        uint64_t token = st.next_token++;
        st.waiters[id].push_back(waiter{token, rp});
        self->delayed_send(self, std::chrono::milliseconds(ms), atoms::timeout::value, id, token);
        return rp;
      },
      [self](atoms::stream, const std::string& id) {
        return self->state.table.view(id, true, clock_type::now());
      },
      [self](atoms::stream, const std::string& id,
             uint32_t ms) -> caf::typed_response_promise<job_view> {
        auto& st = self->state;
        auto rp = self->make_response_promise<job_view>();
        auto view = st.table.view(id, true, clock_type::now());
        if (!view.found || !view.stream.empty() || job_state::is_final(view.status) || ms == 0) {
          rp.deliver(std::move(view));
          return rp;
        }
        uint64_t token = st.next_token++;
        st.stream_waiters[id].push_back(waiter{token, rp});
        self->delayed_send(self, std::chrono::milliseconds(ms), atoms::timeout::value, id, token);
        return rp;
      },
      [self](atoms::health) { return self->state.table.counts(); },
      [self](atoms::timeout, const std::string& id, uint64_t token) {
        auto& st = self->state;
        // The token is in one of the two maps, or in none when the wait was answered already.
        for (auto* map : {&st.waiters, &st.stream_waiters}) {
          auto it = map->find(id);
          if (it == map->end()) continue;
          auto& ws = it->second;
          for (auto w = ws.begin(); w != ws.end(); ++w) {
            if (w->token != token) continue;
            w->promise.deliver(st.table.view(id, map == &st.stream_waiters, clock_type::now()));
            ws.erase(w);
            break;
          }
          if (ws.empty()) map->erase(it);
        }
      },
      [self](atoms::purge) {
        auto removed = self->state.table.purge(clock_type::now());
        if (removed > 0) spdlog::debug("forgot {} jobs past their retention", removed);
        self->delayed_send(self, self->state.options.purge_interval, atoms::purge::value);
      },
  };
}

}  // namespace

job_registry_actor spawn_job_registry(caf::actor_system& sys, job_registry_options options) {
  return sys.spawn(job_registry_behavior, options);
}

}  // namespace warmtts
