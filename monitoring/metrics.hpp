// Every Prometheus metric warmtts exports (DESIGN.md §6), defined in metrics.cpp and nowhere
// else. Callers report events through these methods; prometheus-cpp stays out of other headers.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace warmtts {

class Metrics {
 public:
  // The process-wide registry served at /metrics.
  static Metrics& global();

  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Prometheus text exposition format 0.0.4.
  std::string serialize() const;

  // -- models
  void model_declared(const std::string& model, const std::string& device);
  void model_state(const std::string& model, const std::string& device, std::string_view state);
  void model_load_phase(const std::string& model, const std::string& device,
                        const std::string& phase, double seconds);
  void model_load_result(const std::string& model, const std::string& device, bool ok);
  void model_restarted(const std::string& model, const std::string& device);
  void job_cold_load(const std::string& model);

  // -- jobs
  void job_finished(const std::string& model, std::string_view status);
  void jobs_in_queue(const std::string& model, double n);
  void jobs_in_progress(const std::string& model, double n);
  void job_queue_seconds(const std::string& model, double s);
  void job_inference(const std::string& model, double inference_s, double audio_s, double rtf);
  void job_duration_seconds(const std::string& model, double s);
  void first_audio_seconds(const std::string& model, double s);

  // -- volumes
  void volume_up(const std::string& path, bool up);
  void volume_read_bytes_per_second(const std::string& path, double bps);

  // -- process
  void cold_start_seconds(double s);
  void http_request(std::string_view route, int code, double seconds);
  // One call of the RunPod queue protocol (job-take, job-done, ...) and its HTTP status, or
  // code "error" when no answer came (connection refused or dropped, timeout).
  void runpod_request(std::string_view call, std::string_view code);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace warmtts
