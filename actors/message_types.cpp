#include "actors/message_types.hpp"

#include <caf/all.hpp>

#include "actors/dispatcher.hpp"
#include "actors/job_registry.hpp"
#include "actors/job_types.hpp"
#include "actors/model_actor.hpp"

namespace warmtts {

void register_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<voice_spec>("warmtts::voice_spec");
  cfg.add_message_type<synthesis_params>("warmtts::synthesis_params");
  cfg.add_message_type<job_spec>("warmtts::job_spec");
  cfg.add_message_type<synthesis_result>("warmtts::synthesis_result");
  cfg.add_message_type<job_outcome>("warmtts::job_outcome");
  cfg.add_message_type<model_status>("warmtts::model_status");
  cfg.add_message_type<std::vector<model_status>>("std::vector<warmtts::model_status>");
  cfg.add_message_type<admission>("warmtts::admission");
  cfg.add_message_type<job_view>("warmtts::job_view");
  cfg.add_message_type<job_counts>("warmtts::job_counts");
  cfg.add_message_type<model_actor>("warmtts::model_actor");
}

}  // namespace warmtts
