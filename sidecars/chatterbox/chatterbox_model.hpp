// Chatterbox English TTS end to end on libtorch (specs/chatterbox.md §8.1, tts.py ChatterboxTTS):
// the official repository's files loaded once, voice conditionals from conds.pt or from a
// reference clip, then text -> T3 speech tokens -> S3Gen flow mel -> HiFT waveform at 24 kHz.
// No job plumbing here (chatterbox_engine.hpp adapts it to the model actor); no watermark.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include "sidecars/chatterbox/campplus.hpp"
#include "sidecars/chatterbox/chatterbox_dims.hpp"
#include "sidecars/chatterbox/hift.hpp"
#include "sidecars/chatterbox/s3_tokenizer.hpp"
#include "sidecars/chatterbox/s3gen_flow.hpp"
#include "sidecars/chatterbox/t3.hpp"
#include "sidecars/chatterbox/t3_conditioning.hpp"
#include "sidecars/chatterbox/voice_encoder.hpp"
#include "sidecars/runtime/bpe_tokenizer.hpp"

namespace warmtts::chatterbox {

// What a voice contributes to a synthesis (tts.py Conditionals, without exaggeration, which is
// per job).
struct VoiceConditionals {
  at::Tensor speaker_emb;                // [1, speaker_dim], VoiceEncoder
  at::Tensor cond_prompt_speech_tokens;  // [1, <= 150] int64, T3's speech prompt
  FlowPrompt flow;                       // S3Gen's prompt tokens, prompt mel and x-vector
};

struct ChatterboxRequest {
  std::string text;
  double exaggeration = 0.5;
  T3Sampling sampling;
};

class ChatterboxModel {
 public:
  static constexpr int sample_rate = 24000;            // S3GEN_SR
  static constexpr int tokenizer_rate = 16000;         // S3_SR
  static constexpr int64_t prompt_seconds = 6;         // ENC_COND_LEN, at 16 kHz
  static constexpr int64_t flow_prompt_seconds = 10;   // DEC_COND_LEN, at 24 kHz
  static constexpr int64_t t3_prompt_tokens = 150;     // T3Config.speech_cond_prompt_len
  static constexpr int64_t samples_per_token = 960;    // 2 mel frames of 480 samples

  // Reads every file of the repository folder (throws naming the file and the problem).
  ChatterboxModel(const std::filesystem::path& folder, const ChatterboxDims& dims);

  // The built-in voice (conds.pt).
  const VoiceConditionals& builtin_voice() const { return builtin_; }

  // prepare_conditionals for a clip decoded at 24 kHz (librosa.load(sr=24000)) and the same
  // clip resampled to 16 kHz with soxr (librosa.resample). Throws InvalidInput for a clip
  // the models cannot use (too short to give speech tokens).
  VoiceConditionals clone_voice(const at::Tensor& wav24, const at::Tensor& wav16) const;

  // punc_norm, EnTokenizer, then [START] ... [STOP]
  std::vector<int64_t> text_tokens(const std::string& text) const;

  // T3: speech tokens with the start/stop and every id >= 6561 dropped (drop_invalid_tokens).
  // `on_token` sees each raw sampled token as it is drawn.
  std::vector<int64_t> speech_tokens(const VoiceConditionals& voice, const ChatterboxRequest& request,
                                     runtime::TokenDraw& draw, const CancelToken* cancel = nullptr,
                                     const std::function<void(int64_t)>& on_token = {}) const;

  // S3Gen flow: valid speech tokens -> mel [1, 80, 2 N].
  at::Tensor mel(const std::vector<int64_t>& tokens, const VoiceConditionals& voice, at::Generator& gen,
                 const CancelToken* cancel = nullptr) const;

  // HiFT: mel -> waveform [N samples] at 24 kHz, with the reference's 40 ms fade-in.
  at::Tensor vocode(const at::Tensor& mel, at::Generator& gen) const;

  int64_t max_text_tokens() const { return dims_.text_positions - 2; }

 private:
  ChatterboxDims dims_;
  runtime::BpeTokenizer tokenizer_;
  std::unique_ptr<VoiceEncoder> ve_;
  T3ConditioningWeights t3_cond_;
  std::unique_ptr<T3> t3_;
  std::unique_ptr<S3Tokenizer> s3_tokenizer_;
  std::unique_ptr<CampPlus> campplus_;
  std::unique_ptr<S3GenFlow> flow_;
  std::unique_ptr<Hift> hift_;
  at::Tensor mel_filters_;  // S3Gen prompt mel, 80 x 961
  at::Tensor trim_fade_;    // [960]
  VoiceConditionals builtin_;
};

}  // namespace warmtts::chatterbox
