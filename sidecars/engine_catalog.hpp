// Which engine implementation serves which model name. The shipped binary registers the native
// engines; test binaries register test doubles from tests/ instead.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "sidecars/tts_engine.hpp"

namespace warmtts {

using EngineFactory = std::function<std::unique_ptr<TtsEngine>(const EngineConfig&)>;

class EngineCatalog {
 public:
  struct Entry {
    EngineFactory factory;
    // The engine loads a model repository: its files are resolved and verified (volume/)
    // before the engine is created, and the folders are passed in EngineConfig::options.
    bool loads_weights = true;
  };

  void add(const std::string& model, EngineFactory factory, bool loads_weights = true);

  // nullptr when no engine for `model` is built into this binary.
  const Entry* find(const std::string& model) const;

 private:
  std::map<std::string, Entry> entries_;
};

// The engines built into the `warmtts` binary.
EngineCatalog shipped_engines();

}  // namespace warmtts
