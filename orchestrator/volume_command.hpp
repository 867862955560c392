// `warmtts volume verify`: resolves and verifies every configured model's weights the way a
// model replica does at start-up, and prints each source, each check and its result.
#pragma once

#include <string>

#include "orchestrator/config.hpp"

namespace warmtts {

// Exit code: 0 when every model checked can load, 1 otherwise.
int run_volume_verify(const Config& config, bool hash, const std::string& only_model);

}  // namespace warmtts
