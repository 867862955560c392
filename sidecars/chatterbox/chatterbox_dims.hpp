// Chatterbox's model dimensions (specs/chatterbox.md §1.3, §2, §5.1): the official values built
// in, each overridable by a dims file (--chatterbox-dims), so that tiny test checkpoints drive
// the same code. The volume verifier checks tensor shapes against them; the engine builds T3's
// backbone from them. File format:
//   {"t3": {"layers", "hidden", "ffn", "heads", "text_vocab", "speech_vocab", "text_positions",
//           "speech_positions", "speaker_dim", "perceiver_queries"},
//    "ve": {"mels", "hidden", "layers"},
//    "s3gen": {"speech_vocab", "flow_dim", "mels", "xvector_dim", "tokenizer_dim"}}
#pragma once

#include <cstdint>
#include <string>

namespace warmtts::chatterbox {

struct ChatterboxDims {
  // T3 (Llama_520M backbone and embeddings)
  int64_t t3_layers = 30, t3_hidden = 1024, t3_ffn = 4096, t3_heads = 16, text_vocab = 704,
          speech_vocab = 8194, text_positions = 2050, speech_positions = 4100, speaker_dim = 256,
          perceiver_queries = 32;
  // VoiceEncoder
  int64_t ve_mels = 40, ve_hidden = 256, ve_layers = 3;
  // S3Gen
  int64_t s3_speech_vocab = 6561, flow_dim = 512, mels = 80, xvector_dim = 192, s3tokenizer_dim = 1280;

  // The official dimensions when `file` is empty. Throws std::runtime_error naming the file or
  // the key for an unreadable file or a value that is not a positive integer.
  static ChatterboxDims load(const std::string& file);
};

}  // namespace warmtts::chatterbox
