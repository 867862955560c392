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

}  // namespace warmtts
