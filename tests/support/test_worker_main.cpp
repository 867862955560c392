// TEST DOUBLE. The `warmtts` program with the tone test engine registered instead of the
// shipped engines; everything else is the same code.
#include "orchestrator/worker.hpp"
#include "tests/support/tone_test_engine.hpp"

int main(int argc, char** argv) {
  return warmtts::run_worker(argc, argv, warmtts::testing::tone_test_engines());
}
