#include "sidecars/model_catalog.hpp"

namespace warmtts {

const std::vector<ModelSpec>& model_specs() {
  // Defaults are the reference generate() defaults: chatterbox/tts.py (specs/chatterbox.md §9)
  // and boson_multimodal serve_engine.generate (specs/higgs-audio-v2.md §8; top_k and
  // max_new_tokens from the upstream README example, since generate() leaves them unset).
  static const std::vector<ModelSpec> specs = {
      {"chatterbox",
       "Resemble AI Chatterbox",
       24000,
       {
           {"exaggeration", 0.25, 2.0, 0.5, false},
           {"cfg_weight", 0.0, 1.0, 0.5, false},
           {"min_p", 0.0, 1.0, 0.05, false},
           {"repetition_penalty", 1.0, 2.0, 1.2, false},
           {"temperature", 0.05, 5.0, 0.8, false},
           {"top_p", 0.0, 1.0, 1.0, false, true},
           {"max_new_tokens", 1, 4096, 1000, true},
       },
       {},
       false,
       ""},
      {"higgs",
       "Boson AI Higgs Audio v2",
       24000,
       {
           {"temperature", 0.0, 2.0, 0.7, false},
           {"top_p", 0.0, 1.0, 0.95, false, true},
           {"top_k", 0, 1024, 50, true},
           {"max_new_tokens", 1, 8192, 1024, true},
           {"ras_win_len", 0, 64, 7, true},
           {"ras_win_max_num_repeat", 1, 64, 2, true},
       },
       {"scene_description"},
       true,
       "Audio is recorded from a quiet room."},
  };
  return specs;
}

const ModelSpec* find_model_spec(std::string_view name) {
  for (const auto& s : model_specs())
    if (s.name == name) return &s;
  return nullptr;
}

std::string known_model_names() {
  std::string out;
  for (const auto& s : model_specs()) {
    if (!out.empty()) out += ", ";
    out += s.name;
  }
  return out;
}

}  // namespace warmtts
