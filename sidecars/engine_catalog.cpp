#include "sidecars/engine_catalog.hpp"

namespace warmtts {

void EngineCatalog::add(const std::string& model, EngineFactory factory) {
  factories_[model] = std::move(factory);
}

const EngineFactory* EngineCatalog::find(const std::string& model) const {
  auto it = factories_.find(model);
  return it == factories_.end() ? nullptr : &it->second;
}

EngineCatalog shipped_engines() {
  // The native Chatterbox and Higgs Audio engines register here once their ports land; until
  // then a configured model reports FAILED with model_catalog's "no engine" reason.
  return EngineCatalog{};
}

}  // namespace warmtts
