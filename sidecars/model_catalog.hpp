// What warmtts knows about each model family before any weight is loaded: its name, native
// sample rate and the generation parameters a job may set, with the reference implementation's
// defaults and the ranges we accept. Job validation and engine warm-ups both read this table.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace warmtts {

// A numeric job parameter of one model.
struct ParamSpec {
  std::string_view key;
  double min;
  double max;
  double default_value;
  bool integer;
  bool min_exclusive = false;  // (min, max] instead of [min, max]
};

struct ModelSpec {
  std::string_view name;
  std::string_view title;  // for messages: "Resemble AI Chatterbox"
  int sample_rate;         // native output rate
  std::vector<ParamSpec> params;
  std::vector<std::string_view> string_params;  // model-specific free-text fields
  bool voice_transcript;                        // voice.transcript is meaningful
  std::string_view default_scene_description;
};

const std::vector<ModelSpec>& model_specs();

// nullptr for an unknown name.
const ModelSpec* find_model_spec(std::string_view name);

// "chatterbox, higgs"
std::string known_model_names();

}  // namespace warmtts
