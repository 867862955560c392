// The JSON a finished job shows as `output` (DESIGN.md §3), and one streamed chunk's output.
#pragma once

#include <cstdint>
#include <string>

#include "actors/job_types.hpp"

namespace warmtts {

// {"audio_base64","format","sample_rate","duration_s","model","seed",
//  "timings":{"queue","conditioning","generation","vocoding","total" (ms),"rtf"}}
std::string job_output_json(const std::string& model, const synthesis_result& r, double queue_ms,
                            double total_ms);

// {"chunk": i, "audio_base64": <s16le PCM>, "format": "pcm_s16le", "sample_rate": r}
std::string stream_chunk_json(uint32_t index, int32_t sample_rate, const std::string& pcm_s16le);

}  // namespace warmtts
