#include "sidecars/engine_catalog.hpp"

namespace warmtts {

void EngineCatalog::add(const std::string& model, EngineFactory factory, bool loads_weights) {
  entries_[model] = Entry{std::move(factory), loads_weights};
}

const EngineCatalog::Entry* EngineCatalog::find(const std::string& model) const {
  auto it = entries_.find(model);
  return it == entries_.end() ? nullptr : &it->second;
}

}  // namespace warmtts
