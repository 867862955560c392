// Every atom the actors use (CAF 0.17: at most 10 characters each), in one place so that a
// move to CAF 0.18+ tag types changes only this file.
#pragma once

#include <caf/atom.hpp>

namespace warmtts::atoms {
using submit = caf::atom_constant<caf::atom("submit")>;
using cancel = caf::atom_constant<caf::atom("cancel")>;
using status = caf::atom_constant<caf::atom("status")>;
using wait = caf::atom_constant<caf::atom("wait")>;
using stream = caf::atom_constant<caf::atom("stream")>;
using health = caf::atom_constant<caf::atom("health")>;
using models = caf::atom_constant<caf::atom("models")>;
using created = caf::atom_constant<caf::atom("created")>;
using started = caf::atom_constant<caf::atom("started")>;
using chunk = caf::atom_constant<caf::atom("chunk")>;
using finished = caf::atom_constant<caf::atom("finished")>;
using run = caf::atom_constant<caf::atom("run")>;
using state = caf::atom_constant<caf::atom("state")>;
using done = caf::atom_constant<caf::atom("done")>;
using attach = caf::atom_constant<caf::atom("attach")>;
using drain = caf::atom_constant<caf::atom("drain")>;
using expire = caf::atom_constant<caf::atom("expire")>;
using timeout = caf::atom_constant<caf::atom("timeout")>;
using purge = caf::atom_constant<caf::atom("purge")>;
}  // namespace warmtts::atoms
