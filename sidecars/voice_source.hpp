// Where a job's reference clip comes from: its own bytes (voice.audio_base64), a URL
// (voice.audio_url, fetched with a size and time limit) or a named clip in the voice library
// folder (voice.name). The model actor turns every voice into bytes before the engine sees it,
// so engines handle one case only.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "actors/job_types.hpp"

namespace warmtts {

struct VoiceSourceOptions {
  std::string library_dir;          // "" : no voice library configured
  size_t max_bytes = 10u << 20;     // the same limit as an inline clip
  std::chrono::seconds timeout{20}; // per read of a URL fetch
};

// The clip's bytes for a voice of kind "audio", "url" or "name" (a kind "" voice has none: "").
// Throws InvalidInput (tts_engine.hpp) with a message naming the field and what went wrong.
std::string voice_clip_bytes(const voice_spec& voice, const VoiceSourceOptions& options);

}  // namespace warmtts
