// The whole `warmtts` program, parameterised by the engines it may run. orchestrator/main.cpp
// passes the shipped engines; the integration tests' worker passes a test double from tests/.
#pragma once

#include "sidecars/engine_catalog.hpp"

namespace warmtts {

int run_worker(int argc, char** argv, const EngineCatalog& engines);

}  // namespace warmtts
