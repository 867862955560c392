#include "orchestrator/config.hpp"

#include <algorithm>

namespace warmtts {

std::vector<std::string> Config::model_names() const {
  std::vector<std::string> names;
  for (const auto& m : models) {
    auto name = m.substr(0, m.find('@'));
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  return names;
}

volume::ResolveOptions Config::resolve_options() const {
  volume::ResolveOptions o;
  o.sources["chatterbox"] = volume::parse_sources(chatterbox_sources);
  o.sources["higgs"] = volume::parse_sources(higgs_sources);
  o.sources["higgs-tokenizer"] = volume::parse_sources(higgs_tokenizer_sources);
  o.chatterbox_dims = chatterbox_dims;
  o.hash = verify_hash;
  o.local_cache = local_cache;
  return o;
}

JobInputLimits Config::job_input_limits() const {
  JobInputLimits l;
  l.models = model_names();
  l.default_model = default_model;
  l.max_text_chars = max_text_chars;
  l.max_voice_bytes = max_voice_bytes;
  l.default_execution_timeout_ms = execution_timeout_s * 1000;
  return l;
}

}  // namespace warmtts
