#include "actors/job_table.hpp"

#include "actors/states.hpp"

namespace warmtts {
namespace {

int64_t ms_between(JobTable::clock::time_point a, JobTable::clock::time_point b) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count();
}

}  // namespace

bool JobTable::create(const std::string& id, const std::string& model,
                      std::chrono::milliseconds retention, clock::time_point now) {
  Record r;
  r.id = id;
  r.model = model;
  r.status = std::string(job_state::in_queue);
  r.created = now;
  r.retention = retention;
  return records_.emplace(id, std::move(r)).second;
}

bool JobTable::start(const std::string& id, clock::time_point now) {
  auto it = records_.find(id);
  if (it == records_.end() || it->second.status != job_state::in_queue) return false;
  it->second.status = std::string(job_state::in_progress);
  it->second.started = now;
  it->second.was_started = true;
  return true;
}

bool JobTable::add_stream_output(const std::string& id, std::string output_json) {
  auto it = records_.find(id);
  if (it == records_.end() || job_state::is_final(it->second.status)) return false;
  it->second.stream.push_back(std::move(output_json));
  return true;
}

bool JobTable::finish(const std::string& id, const std::string& status, std::string output_json,
                      std::string error, clock::time_point now) {
  auto it = records_.find(id);
  if (it == records_.end() || job_state::is_final(it->second.status) ||
      !job_state::is_final(status))
    return false;
  auto& r = it->second;
  r.status = status;
  r.finished = now;
  r.output_json = std::move(output_json);
  r.error = std::move(error);
  if (status == job_state::completed) ++completed_;
  if (status == job_state::failed || status == job_state::timed_out) ++failed_;
  return true;
}

const JobTable::Record* JobTable::find(const std::string& id) const {
  auto it = records_.find(id);
  return it == records_.end() ? nullptr : &it->second;
}

job_view JobTable::view(const std::string& id, bool take_stream, clock::time_point now) {
  job_view v;
  v.id = id;
  auto it = records_.find(id);
  if (it == records_.end()) return v;
  auto& r = it->second;
  // Past its retention a job is gone, even if the periodic purge has not run yet.
  if (job_state::is_final(r.status) && now - r.finished >= r.retention) {
    records_.erase(it);
    return v;
  }
  v.found = true;
  v.status = r.status;
  bool final = job_state::is_final(r.status);
  // delayTime: waiting for a worker; executionTime: running (RunPod's meaning).
  if (r.was_started) {
    v.delay_ms = ms_between(r.created, r.started);
    v.execution_ms = ms_between(r.started, final ? r.finished : now);
  } else {
    v.delay_ms = ms_between(r.created, final ? r.finished : now);
  }
  v.output_json = r.output_json;
  v.error = r.error;
  if (take_stream) {
    v.stream.assign(r.stream.begin() + static_cast<ptrdiff_t>(r.stream_delivered), r.stream.end());
    r.stream_delivered = r.stream.size();
  }
  return v;
}

size_t JobTable::purge(clock::time_point now) {
  size_t removed = 0;
  for (auto it = records_.begin(); it != records_.end();) {
    const auto& r = it->second;
    if (job_state::is_final(r.status) && now - r.finished >= r.retention) {
      it = records_.erase(it);
      ++removed;
    } else {
      ++it;
    }
  }
  return removed;
}

job_counts JobTable::counts() const {
  job_counts c;
  c.completed = completed_;
  c.failed = failed_;
  for (const auto& [id, r] : records_) {
    if (r.status == job_state::in_queue) ++c.in_queue;
    if (r.status == job_state::in_progress) ++c.in_progress;
  }
  return c;
}

}  // namespace warmtts
