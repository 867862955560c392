// The engines of the shipped `warmtts` binary (test binaries register test doubles instead).
// Kept apart from engine_catalog.cpp so that only the binaries that serve models link libtorch.
#include "sidecars/chatterbox/chatterbox_engine.hpp"
#include "sidecars/engine_catalog.hpp"

namespace warmtts {

EngineCatalog shipped_engines() {
  EngineCatalog catalog;
  catalog.add("chatterbox", chatterbox::make_chatterbox_engine);
  // higgs: its engine registers here once the port lands; until then a configured higgs model
  // reports FAILED with model_catalog's "no engine" reason.
  return catalog;
}

}  // namespace warmtts
