#include "monitoring/metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "actors/states.hpp"

namespace warmtts {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;
using prometheus::Histogram;

// Buckets in seconds: 1 ms .. ~5.5 min, doubling.
Histogram::BucketBoundaries seconds_buckets() {
  Histogram::BucketBoundaries b;
  for (double v = 0.001; v < 400; v *= 2) b.push_back(v);
  return b;
}

Histogram::BucketBoundaries rtf_buckets() {
  return {0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10};
}

}  // namespace

struct Metrics::Impl {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();

  // models
  prometheus::Family<prometheus::Gauge>& model_state =
      BuildGauge().Name("warmtts_model_state")
          .Help("1 for the lifecycle state a model replica is in, 0 for the others")
          .Register(*registry);
  prometheus::Family<prometheus::Gauge>& model_ready =
      BuildGauge().Name("warmtts_model_ready")
          .Help("1 when the model replica is READY (weights resident, warm-up succeeded)")
          .Register(*registry);
  prometheus::Family<prometheus::Gauge>& model_load_seconds =
      BuildGauge().Name("warmtts_model_load_seconds")
          .Help("Seconds spent in each load phase of the last load")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& model_loads_total =
      BuildCounter().Name("warmtts_model_loads_total")
          .Help("Model loads by result (ok, failed)")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& model_restarts_total =
      BuildCounter().Name("warmtts_model_restarts_total")
          .Help("Times a model replica was restarted after a failure")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& job_cold_loads_total =
      BuildCounter().Name("warmtts_job_cold_loads_total")
          .Help("Model loads that happened inside a job's path (must stay 0)")
          .Register(*registry);

  // jobs
  prometheus::Family<prometheus::Counter>& jobs_total =
      BuildCounter().Name("warmtts_jobs_total").Help("Finished jobs by final status")
          .Register(*registry);
  prometheus::Family<prometheus::Gauge>& jobs_in_queue =
      BuildGauge().Name("warmtts_jobs_in_queue").Help("Jobs waiting for a model replica")
          .Register(*registry);
  prometheus::Family<prometheus::Gauge>& jobs_in_progress =
      BuildGauge().Name("warmtts_jobs_in_progress").Help("Jobs running on a model replica")
          .Register(*registry);
  prometheus::Family<prometheus::Histogram>& job_queue_seconds =
      BuildHistogram().Name("warmtts_job_queue_seconds")
          .Help("Time from submission to the start of synthesis").Register(*registry);
  prometheus::Family<prometheus::Histogram>& job_inference_seconds =
      BuildHistogram().Name("warmtts_job_inference_seconds")
          .Help("Time the engine spent on a job (conditioning to encoded audio)")
          .Register(*registry);
  prometheus::Family<prometheus::Histogram>& job_duration_seconds =
      BuildHistogram().Name("warmtts_job_duration_seconds")
          .Help("Time from submission to the final status").Register(*registry);
  prometheus::Family<prometheus::Histogram>& first_audio_seconds =
      BuildHistogram().Name("warmtts_first_audio_seconds")
          .Help("Time from the start of synthesis to the first streamed audio chunk")
          .Register(*registry);
  prometheus::Family<prometheus::Histogram>& real_time_factor =
      BuildHistogram().Name("warmtts_real_time_factor")
          .Help("Inference seconds per second of audio produced").Register(*registry);
  prometheus::Family<prometheus::Counter>& audio_seconds_total =
      BuildCounter().Name("warmtts_audio_seconds_total").Help("Seconds of audio produced")
          .Register(*registry);

  // volumes
  prometheus::Family<prometheus::Gauge>& volume_up =
      BuildGauge().Name("warmtts_volume_up")
          .Help("1 when the weight source's file system is mounted and readable")
          .Register(*registry);
  prometheus::Family<prometheus::Gauge>& volume_read_bytes_per_second =
      BuildGauge().Name("warmtts_volume_read_bytes_per_second")
          .Help("Sequential read throughput measured on the weight source at start-up")
          .Register(*registry);

  // process
  prometheus::Family<prometheus::Gauge>& cold_start_seconds =
      BuildGauge().Name("warmtts_cold_start_seconds")
          .Help("Seconds from process start until every configured model was READY")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& http_requests_total =
      BuildCounter().Name("warmtts_http_requests_total").Help("HTTP requests by route and code")
          .Register(*registry);
  prometheus::Family<prometheus::Histogram>& http_request_seconds =
      BuildHistogram().Name("warmtts_http_request_seconds")
          .Help("Time to answer an HTTP request, by route").Register(*registry);
  prometheus::Family<prometheus::Counter>& runpod_requests_total =
      BuildCounter().Name("warmtts_runpod_requests_total")
          .Help("Calls of the RunPod queue protocol by call and HTTP status (\"error\": no answer)")
          .Register(*registry);
};

Metrics& Metrics::global() {
  static Metrics instance;
  return instance;
}

Metrics::Metrics() : impl_(std::make_unique<Impl>()) {}
Metrics::~Metrics() = default;

std::string Metrics::serialize() const {
  return prometheus::TextSerializer{}.Serialize(impl_->registry->Collect());
}

void Metrics::model_declared(const std::string& model, const std::string& device) {
  // Children exist from the start so that dashboards see 0, not "no data".
  impl_->job_cold_loads_total.Add({{"model", model}});
  impl_->model_restarts_total.Add({{"model", model}, {"device", device}});
  impl_->jobs_in_queue.Add({{"model", model}});
  impl_->jobs_in_progress.Add({{"model", model}});
  model_state(model, device, model_state::unloaded);
}

void Metrics::model_state(const std::string& model, const std::string& device,
                          std::string_view state) {
  for (auto s : model_state::all)
    impl_->model_state.Add({{"model", model}, {"device", device}, {"state", std::string(s)}})
        .Set(s == state ? 1 : 0);
  impl_->model_ready.Add({{"model", model}, {"device", device}})
      .Set(state == model_state::ready ? 1 : 0);
}

void Metrics::model_load_phase(const std::string& model, const std::string& device,
                               const std::string& phase, double seconds) {
  impl_->model_load_seconds.Add({{"model", model}, {"device", device}, {"phase", phase}})
      .Set(seconds);
}

void Metrics::model_load_result(const std::string& model, const std::string& device, bool ok) {
  impl_->model_loads_total
      .Add({{"model", model}, {"device", device}, {"result", ok ? "ok" : "failed"}})
      .Increment();
}

void Metrics::model_restarted(const std::string& model, const std::string& device) {
  impl_->model_restarts_total.Add({{"model", model}, {"device", device}}).Increment();
}

void Metrics::job_cold_load(const std::string& model) {
  impl_->job_cold_loads_total.Add({{"model", model}}).Increment();
}

void Metrics::job_finished(const std::string& model, std::string_view status) {
  impl_->jobs_total.Add({{"model", model}, {"status", std::string(status)}}).Increment();
}

void Metrics::jobs_in_queue(const std::string& model, double n) {
  impl_->jobs_in_queue.Add({{"model", model}}).Set(n);
}

void Metrics::jobs_in_progress(const std::string& model, double n) {
  impl_->jobs_in_progress.Add({{"model", model}}).Set(n);
}

void Metrics::job_queue_seconds(const std::string& model, double s) {
  impl_->job_queue_seconds.Add({{"model", model}}, seconds_buckets()).Observe(s);
}

void Metrics::job_inference(const std::string& model, double inference_s, double audio_s,
                            double rtf) {
  impl_->job_inference_seconds.Add({{"model", model}}, seconds_buckets()).Observe(inference_s);
  impl_->audio_seconds_total.Add({{"model", model}}).Increment(audio_s);
  if (audio_s > 0) impl_->real_time_factor.Add({{"model", model}}, rtf_buckets()).Observe(rtf);
}

void Metrics::job_duration_seconds(const std::string& model, double s) {
  impl_->job_duration_seconds.Add({{"model", model}}, seconds_buckets()).Observe(s);
}

void Metrics::first_audio_seconds(const std::string& model, double s) {
  impl_->first_audio_seconds.Add({{"model", model}}, seconds_buckets()).Observe(s);
}

void Metrics::volume_up(const std::string& path, bool up) {
  impl_->volume_up.Add({{"path", path}}).Set(up ? 1 : 0);
}

void Metrics::volume_read_bytes_per_second(const std::string& path, double bps) {
  impl_->volume_read_bytes_per_second.Add({{"path", path}}).Set(bps);
}

void Metrics::cold_start_seconds(double s) { impl_->cold_start_seconds.Add({}).Set(s); }

void Metrics::http_request(std::string_view route, int code, double seconds) {
  std::string r(route);
  impl_->http_requests_total.Add({{"route", r}, {"code", std::to_string(code)}}).Increment();
  impl_->http_request_seconds.Add({{"route", r}}, seconds_buckets()).Observe(seconds);
}

void Metrics::runpod_request(std::string_view call, std::string_view code) {
  impl_->runpod_requests_total.Add({{"call", std::string(call)}, {"code", std::string(code)}})
      .Increment();
}

}  // namespace warmtts
