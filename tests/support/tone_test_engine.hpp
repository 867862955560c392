// TEST DOUBLE. A deterministic TtsEngine that synthesizes a sine tone instead of speech, so
// that orchestrator tests and benchmarks run the real worker without model weights. Never
// linked into the shipped `warmtts` binary.
//
// Behaviour is set per process through environment variables (read once, at engine creation):
//   WARMTTS_TONE_LOAD_MS       time load() takes (default 0)
//   WARMTTS_TONE_FAIL_LOAD     comma-separated model names whose load() throws
//   WARMTTS_TONE_STEP_MS       time per 100 ms of audio (default 0)
//   WARMTTS_TONE_LOADS_WEIGHTS (test worker) resolve and verify weights first, like real engines
// and per job through markers in the text:
//   [sleep:MS]   the synthesis takes at least MS milliseconds, in 10 ms cancellable steps
//   [fail]       synthesize() throws std::runtime_error
//   [invalid]    synthesize() throws InvalidInput
// Audio: 80 ms per character (at most 30 s), 220 Hz + (seed % 220) Hz, amplitude 0.5.
#pragma once

#include "sidecars/engine_catalog.hpp"

namespace warmtts::testing {

// A catalog serving every known model name with the tone engine. With `loads_weights`, each
// model's repositories are resolved and verified first (tiny checkpoints in tests), as for the
// real engines; the tone engine then checks that it was handed their folders.
EngineCatalog tone_test_engines(bool loads_weights = false);

}  // namespace warmtts::testing
