#include "orchestrator/worker.hpp"

int main(int argc, char** argv) {
  return warmtts::run_worker(argc, argv, warmtts::shipped_engines());
}
