// Plain message structs that travel between the orchestrator and model actors. They hold only
// strings and numbers (no pointers, no enums, no optionals) so that CAF can serialize them
// unchanged when a model actor lives in a sidecar process. Audio crosses as bytes in a
// std::string: CAF 0.17 serializes std::vector<float> element by element (~10x slower).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

namespace warmtts {

// The voice a job asks for. `kind` is "" (the model's built-in voice), "audio" (bytes of a
// reference clip, already base64-decoded), "url" or "name" (a voice-library entry).
struct voice_spec {
  std::string kind;
  std::string audio;
  std::string url;
  std::string name;
  std::string transcript;  // Higgs: what the reference clip says
};

// A validated job input with every model default filled in: engines never see a missing value.
struct synthesis_params {
  std::string model;
  std::string text;
  voice_spec voice;
  // Chatterbox
  double exaggeration = 0;
  double cfg_weight = 0;
  double min_p = 0;
  double repetition_penalty = 0;
  // both
  double temperature = 0;
  double top_p = 0;
  int32_t max_new_tokens = 0;
  uint64_t seed = 0;
  // Higgs
  int32_t top_k = 0;
  std::string scene_description;
  int32_t ras_win_len = 0;
  int32_t ras_win_max_num_repeat = 0;
  // output
  std::string format;       // wav, flac, ogg, opus, mp3
  int32_t sample_rate = 0;  // 0: the model's native rate
  bool stream = false;
};

// A job as the dispatcher queues it and a model actor runs it.
struct job_spec {
  std::string id;
  synthesis_params params;
  uint32_t execution_timeout_ms = 0;
  uint32_t retention_ms = 0;
};

// What a model actor returns for a finished synthesis (audio already encoded).
struct synthesis_result {
  std::string audio;  // encoded file bytes in `format`
  std::string format;
  int32_t sample_rate = 0;
  double duration_s = 0;
  uint64_t seed = 0;
  double conditioning_ms = 0;
  double generation_ms = 0;
  double vocoding_ms = 0;
  double inference_ms = 0;  // all engine work, encoding included
  double first_audio_ms = 0;  // to the first streamed chunk; 0 when not streamed
};

// The end of a job: status is one of the RunPod terminal states.
struct job_outcome {
  std::string status;  // COMPLETED, FAILED, CANCELLED, TIMED_OUT
  std::string error;
  synthesis_result result;
};

// Events a model actor reports (state changes with the reason and load timings).
struct model_status {
  std::string replica;  // "chatterbox@cuda:0"
  std::string model;
  std::string device;
  std::string state;   // UNLOADED, RESOLVING, VERIFYING, LOADING, WARMING, READY, FAILED, DRAINING
  std::string reason;  // why FAILED (or what it is doing), for people
  std::map<std::string, double> load_seconds;  // phase -> seconds
  bool busy = false;
};

// The dispatcher's answer to a submitted job.
struct admission {
  bool accepted = false;
  int32_t http_status = 200;  // for rejections: 429 queue full, 503 draining, 200 model FAILED
  std::string status;         // IN_QUEUE or FAILED
  std::string error;
};

// A job as /status shows it.
struct job_view {
  bool found = false;
  std::string id;
  std::string status;
  int64_t delay_ms = 0;
  int64_t execution_ms = 0;
  std::string output_json;  // JSON text of `output`, empty when none
  std::string error;
  std::vector<std::string> stream;  // JSON text of undelivered stream outputs (stream calls only)
};

// RunPod's /health job counts.
struct job_counts {
  int64_t completed = 0;
  int64_t failed = 0;
  int64_t in_progress = 0;
  int64_t in_queue = 0;
  int64_t retried = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, voice_spec& x) {
  return f(caf::meta::type_name("voice_spec"), x.kind, x.audio, x.url, x.name, x.transcript);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, synthesis_params& x) {
  return f(caf::meta::type_name("synthesis_params"), x.model, x.text, x.voice, x.exaggeration,
           x.cfg_weight, x.min_p, x.repetition_penalty, x.temperature, x.top_p, x.max_new_tokens,
           x.seed, x.top_k, x.scene_description, x.ras_win_len, x.ras_win_max_num_repeat, x.format,
           x.sample_rate, x.stream);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_spec& x) {
  return f(caf::meta::type_name("job_spec"), x.id, x.params, x.execution_timeout_ms,
           x.retention_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, synthesis_result& x) {
  return f(caf::meta::type_name("synthesis_result"), x.audio, x.format, x.sample_rate,
           x.duration_s, x.seed, x.conditioning_ms, x.generation_ms, x.vocoding_ms,
           x.inference_ms, x.first_audio_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_outcome& x) {
  return f(caf::meta::type_name("job_outcome"), x.status, x.error, x.result);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, model_status& x) {
  return f(caf::meta::type_name("model_status"), x.replica, x.model, x.device, x.state, x.reason,
           x.load_seconds, x.busy);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, admission& x) {
  return f(caf::meta::type_name("admission"), x.accepted, x.http_status, x.status, x.error);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_view& x) {
  return f(caf::meta::type_name("job_view"), x.found, x.id, x.status, x.delay_ms, x.execution_ms,
           x.output_json, x.error, x.stream);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_counts& x) {
  return f(caf::meta::type_name("job_counts"), x.completed, x.failed, x.in_progress, x.in_queue,
           x.retried);
}

}  // namespace warmtts
