#include "orchestrator/job_input.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <set>

#include <boost/url/parse.hpp>
#include <nlohmann/json.hpp>

#include "sidecars/model_catalog.hpp"
#include "sidecars/runtime/audio_encoder.hpp"
#include "sidecars/runtime/base64.hpp"

namespace warmtts {
namespace {

using nlohmann::json;

// Thrown inside the parser, turned into a JobInputError at the top.
struct Invalid {
  std::string message;
};

[[noreturn]] void fail(std::string message) { throw Invalid{std::move(message)}; }

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// A short rendering of a bad value for error messages.
std::string shown(const json& v) {
  std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

const char* type_name(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::string: return "a string";
    case json::value_t::array: return "an array";
    case json::value_t::object: return "an object";
    default: return "a number";
  }
}

std::string format_number(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

double number_in_range(const json& v, const std::string& field, const ParamSpec& spec) {
  std::string range = (spec.min_exclusive ? "greater than " + format_number(spec.min) + " and up to "
                                          : "from " + format_number(spec.min) + " to ") +
                      format_number(spec.max);
  std::string what = spec.integer ? "an integer " : "a number ";
  if (!v.is_number()) fail(field + " must be " + what + range + "; got " + type_name(v));
  double d = v.get<double>();
  if (spec.integer && d != std::floor(d))
    fail(field + " must be " + what + range + "; got " + shown(v));
  bool low = spec.min_exclusive ? d <= spec.min : d < spec.min;
  if (!std::isfinite(d) || low || d > spec.max)
    fail(field + " must be " + what + range + "; got " + shown(v));
  return d;
}

size_t utf8_length(const std::string& s) {
  return static_cast<size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

bool blank(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); });
}

void set_param(synthesis_params& p, std::string_view key, double v) {
  if (key == "exaggeration") p.exaggeration = v;
  else if (key == "cfg_weight") p.cfg_weight = v;
  else if (key == "min_p") p.min_p = v;
  else if (key == "repetition_penalty") p.repetition_penalty = v;
  else if (key == "temperature") p.temperature = v;
  else if (key == "top_p") p.top_p = v;
  else if (key == "max_new_tokens") p.max_new_tokens = static_cast<int32_t>(v);
  else if (key == "top_k") p.top_k = static_cast<int32_t>(v);
  else if (key == "ras_win_len") p.ras_win_len = static_cast<int32_t>(v);
  else if (key == "ras_win_max_num_repeat") p.ras_win_max_num_repeat = static_cast<int32_t>(v);
}

// The keys every model accepts, beside its own parameters.
const std::vector<std::string> common_keys = {"model", "model_type", "text",   "voice",
                                              "seed",  "format",     "sample_rate", "stream"};

std::vector<std::string> allowed_keys(const ModelSpec& spec) {
  std::vector<std::string> keys = common_keys;
  for (const auto& p : spec.params) keys.emplace_back(p.key);
  for (const auto& k : spec.string_params) keys.emplace_back(k);
  return keys;
}

// Which other model accepts `key`, for a helpful message.
std::string owner_of(const std::string& key, const ModelSpec& except) {
  for (const auto& m : model_specs()) {
    if (m.name == except.name) continue;
    for (const auto& k : allowed_keys(m))
      if (k == key) return std::string(m.name);
  }
  return "";
}

voice_spec parse_voice(const json& v, const ModelSpec& spec, const JobInputLimits& limits) {
  const std::string allowed = "an object with one of audio_base64, audio_url or name";
  if (!v.is_object()) fail("input.voice must be " + allowed + "; got " + type_name(v));
  voice_spec out;
  int sources = 0;
  for (const auto& [key, value] : v.items()) {
    const std::string field = "input.voice." + key;
    if (key == "audio_base64" || key == "audio_url" || key == "name" || key == "transcript") {
      if (!value.is_string()) fail(field + " must be a string; got " + type_name(value));
    } else {
      fail(field + " is not a voice field; allowed: audio_base64, audio_url, name" +
           std::string(spec.voice_transcript ? ", transcript" : ""));
    }
    const auto& s = value.get_ref<const std::string&>();
    if (key == "audio_base64") {
      ++sources;
      auto bytes = base64::decode(s);
      if (!bytes) fail(field + " is not valid base64 (standard alphabet with = padding, no data: prefix)");
      if (bytes->empty()) fail(field + " is empty; send the bytes of a WAV, FLAC, OGG or MP3 clip");
      if (bytes->size() > limits.max_voice_bytes)
        fail(field + " decodes to " + std::to_string(bytes->size()) + " bytes; at most " +
             std::to_string(limits.max_voice_bytes) + " are allowed (trim the clip to 10-30 s)");
      out.kind = "audio";
      out.audio = std::move(*bytes);
    } else if (key == "audio_url") {
      ++sources;
      auto url = boost::urls::parse_absolute_uri(s);
      if (!url || (url->scheme() != "http" && url->scheme() != "https") ||
          url->encoded_host().empty())
        fail(field + " must be an absolute http:// or https:// URL; got " + shown(value));
      out.kind = "url";
      out.url = s;
    } else if (key == "name") {
      ++sources;
      bool ok = !s.empty() && s.size() <= 64 && s.front() != '.' &&
                std::all_of(s.begin(), s.end(), [](unsigned char c) {
                  return std::isalnum(c) || c == '_' || c == '-' || c == '.';
                });
      if (!ok)
        fail(field + " must be a voice-library name of 1-64 letters, digits, '_', '-' or '.'; got " +
             shown(value));
      out.kind = "name";
      out.name = s;
    } else {
      if (!spec.voice_transcript)
        fail(field + " is only used by higgs (what the reference clip says); " +
             std::string(spec.name) + " clones from the audio alone");
      out.transcript = s;
    }
  }
  if (sources != 1)
    fail("input.voice must have exactly one of audio_base64, audio_url or name; got " +
         std::to_string(sources));
  return out;
}

job_spec parse(std::string_view body, const JobInputLimits& limits) {
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded())
    fail("request body is not valid JSON; send {\"input\": {\"text\": \"...\"}}");
  if (!doc.is_object())
    fail(std::string("request body must be a JSON object with an \"input\" object; got ") +
         type_name(doc));
  job_spec job;
  job.execution_timeout_ms = limits.default_execution_timeout_ms;
  const json* input = nullptr;
  for (const auto& [key, value] : doc.items()) {
    if (key == "input") {
      input = &value;
    } else if (key == "policy") {
      if (!value.is_object()) fail("policy must be an object; got " + std::string(type_name(value)));
      for (const auto& [pk, pv] : value.items()) {
        if (pk == "executionTimeout") {
          job.execution_timeout_ms = static_cast<uint32_t>(
              number_in_range(pv, "policy.executionTimeout", {"", 5000, 604'800'000, 0, true}));
        } else if (pk == "ttl" || pk == "lowPriority") {
          // Queue-side hints of RunPod's platform; they do not change how a worker runs a job.
          if (pk == "ttl") number_in_range(pv, "policy.ttl", {"", 10'000, 604'800'000, 0, true});
          if (pk == "lowPriority" && !pv.is_boolean())
            fail("policy.lowPriority must be a boolean; got " + std::string(type_name(pv)));
        } else {
          fail("policy." + pk + " is not a policy field; allowed: executionTimeout, ttl, lowPriority");
        }
      }
    } else if (key == "webhook" || key == "s3Config") {
      fail(key + " is not supported by this worker: poll /status/{id}, use /runsync, or /stream");
    } else {
      fail("\"" + key + "\" is not a request field; allowed: input, policy");
    }
  }
  if (!input) fail("input is required: {\"input\": {\"text\": \"...\"}}");
  if (!input->is_object())
    fail(std::string("input must be a JSON object; got ") + type_name(*input));

  // The model decides which other fields exist.
  auto& p = job.params;
  p.model = limits.default_model;
  if (input->contains("model") && input->contains("model_type"))
    fail("input.model and input.model_type are the same field; send one");
  for (const char* key : {"model", "model_type"}) {
    if (!input->contains(key)) continue;
    const auto& v = (*input)[key];
    std::string field = std::string("input.") + key;
    if (!v.is_string())
      fail(field + " must be one of " + join(limits.models) + "; got " + type_name(v));
    p.model = v.get<std::string>();
    if (std::find(limits.models.begin(), limits.models.end(), p.model) == limits.models.end())
      fail(field + " must be one of " + join(limits.models) + " (the models this worker serves); got " +
           shown(v));
  }
  const ModelSpec* spec = find_model_spec(p.model);
  if (!spec) fail("input.model: no model named " + p.model + " is known");

  for (const auto& param : spec->params) set_param(p, param.key, param.default_value);
  p.scene_description = std::string(spec->default_scene_description);
  p.format = "wav";
  bool seed_given = false;

  const auto keys = allowed_keys(*spec);
  for (const auto& [key, value] : input->items()) {
    const std::string field = "input." + key;
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      std::string other = owner_of(key, *spec);
      if (!other.empty())
        fail(field + " is a " + other + " parameter; " + std::string(spec->name) +
             " accepts: " + join(keys));
      fail(field + " is not an input field; " + std::string(spec->name) + " accepts: " + join(keys));
    }
    if (key == "model" || key == "model_type") continue;
    if (key == "text") {
      if (!value.is_string()) fail(field + " must be a string; got " + type_name(value));
      p.text = value.get<std::string>();
      if (blank(p.text)) fail(field + " is empty; send the words to speak");
      size_t n = utf8_length(p.text);
      if (n > limits.max_text_chars)
        fail(field + " has " + std::to_string(n) + " characters; at most " +
             std::to_string(limits.max_text_chars) + " are allowed (split long text into several jobs)");
    } else if (key == "voice") {
      p.voice = parse_voice(value, *spec, limits);
    } else if (key == "seed") {
      if (!value.is_number_integer() || (value.is_number_integer() && !value.is_number_unsigned() &&
                                         value.get<int64_t>() < 0))
        fail(field + " must be an integer from 0 to 18446744073709551615; got " + shown(value));
      p.seed = value.get<uint64_t>();
      seed_given = true;
    } else if (key == "format") {
      const auto& formats = audio::output_formats();
      std::vector<std::string> names(formats.begin(), formats.end());
      if (!value.is_string() || std::find(formats.begin(), formats.end(),
                                          value.get<std::string>()) == formats.end())
        fail(field + " must be one of " + join(names) + "; got " + shown(value));
      p.format = value.get<std::string>();
    } else if (key == "sample_rate") {
      p.sample_rate = static_cast<int32_t>(
          number_in_range(value, field, {"", 8000, 48000, 0, true}));
    } else if (key == "stream") {
      if (!value.is_boolean()) fail(field + " must be true or false; got " + shown(value));
      p.stream = value.get<bool>();
    } else if (key == "scene_description") {
      if (!value.is_string()) fail(field + " must be a string; got " + type_name(value));
      p.scene_description = value.get<std::string>();
      if (utf8_length(p.scene_description) > limits.max_text_chars)
        fail(field + " is longer than " + std::to_string(limits.max_text_chars) + " characters");
    } else {
      auto it = std::find_if(spec->params.begin(), spec->params.end(),
                             [&](const ParamSpec& s) { return s.key == key; });
      set_param(p, key, number_in_range(value, field, *it));
    }
  }
  if (!input->contains("text")) fail("input.text is required: the words to speak");
  if (p.sample_rate == 0) p.sample_rate = spec->sample_rate;
  if (auto why = audio::check_output_rate(p.format, p.sample_rate); !why.empty())
    fail("input.sample_rate " + std::to_string(p.sample_rate) + " cannot be used with format " +
         p.format + ": " + why);
  if (!seed_given) {
    // Reported back in the output, so that any run can be repeated.
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    p.seed = rng() >> 1;
  }
  return job;
}

}  // namespace

std::variant<job_spec, JobInputError> parse_job_request(std::string_view body,
                                                        const JobInputLimits& limits) {
  try {
    return parse(body, limits);
  } catch (const Invalid& e) {
    return JobInputError{e.message};
  }
}

}  // namespace warmtts
