#include "actors/job_output.hpp"

#include <cmath>

#include <nlohmann/json.hpp>

#include "sidecars/runtime/base64.hpp"

namespace warmtts {
namespace {

double round_ms(double ms) { return std::round(ms * 1000.0) / 1000.0; }

// Adds "audio_base64" to a written JSON object. Base64 needs no escaping, so the (large) text is
// appended directly instead of going through the JSON writer's per-character escaping.
std::string with_base64_member(std::string object_json, const std::string& bytes) {
  object_json.pop_back();  // '}'
  object_json += ",\"audio_base64\":\"";
  object_json += base64::encode(bytes);
  object_json += "\"}";
  return object_json;
}

}  // namespace

std::string job_output_json(const std::string& model, const synthesis_result& r, double queue_ms,
                            double total_ms) {
  nlohmann::json out;
  out["format"] = r.format;
  out["sample_rate"] = r.sample_rate;
  out["duration_s"] = r.duration_s;
  out["model"] = model;
  out["seed"] = r.seed;
  out["timings"] = {
      {"queue", round_ms(queue_ms)},
      {"conditioning", round_ms(r.conditioning_ms)},
      {"generation", round_ms(r.generation_ms)},
      {"vocoding", round_ms(r.vocoding_ms)},
      {"total", round_ms(total_ms)},
      {"rtf", r.duration_s > 0 ? r.inference_ms / 1000.0 / r.duration_s : 0.0},
  };
  return with_base64_member(out.dump(), r.audio);
}

std::string stream_chunk_json(uint32_t index, int32_t sample_rate, const std::string& pcm_s16le) {
  nlohmann::json out{{"chunk", index}, {"format", "pcm_s16le"}, {"sample_rate", sample_rate}};
  return with_base64_member(out.dump(), pcm_s16le);
}

}  // namespace warmtts
