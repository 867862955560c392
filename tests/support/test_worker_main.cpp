// TEST DOUBLE. The `warmtts` program with the tone test engine registered instead of the
// shipped engines; everything else is the same code.
#include "orchestrator/worker.hpp"
#include "tests/support/tone_test_engine.hpp"

#include <cstdlib>

int main(int argc, char** argv) {
  // WARMTTS_TONE_LOADS_WEIGHTS=1: resolve and verify weights like the real engines do.
  bool loads_weights = std::getenv("WARMTTS_TONE_LOADS_WEIGHTS") != nullptr;
  return warmtts::run_worker(argc, argv, warmtts::testing::tone_test_engines(loads_weights));
}
