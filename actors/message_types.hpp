// Registers every message type with CAF, so that messages can cross a process boundary (model
// sidecars) unchanged.
#pragma once

#include <caf/fwd.hpp>

namespace warmtts {

void register_message_types(caf::actor_system_config& cfg);

}  // namespace warmtts
