// The `chatterbox` engine: ChatterboxModel behind the model actor's TtsEngine contract. Adds
// what a job needs around the model: reference clips decoded and resampled as librosa does,
// their conditionals cached by content hash, seeded generation, cancellation, load phases and
// streaming (chunks vocoded from the growing token stream).
#pragma once

#include <memory>

#include "sidecars/tts_engine.hpp"

namespace warmtts::chatterbox {

// options: "chatterbox" (the repository folder, required), "chatterbox_dims" (a dims file for
// non-official checkpoints). Only the "cpu" device is supported by this build.
std::unique_ptr<TtsEngine> make_chatterbox_engine(const EngineConfig& config);

}  // namespace warmtts::chatterbox
