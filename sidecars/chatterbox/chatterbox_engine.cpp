#include "sidecars/chatterbox/chatterbox_engine.hpp"

#include <array>
#include <chrono>
#include <cmath>
#include <optional>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/Tensor.h>
#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include "sidecars/chatterbox/chatterbox_model.hpp"
#include "sidecars/chatterbox/reference_clip.hpp"
#include "sidecars/lru_cache.hpp"
#include "sidecars/runtime/cpu_threads.hpp"

namespace warmtts::chatterbox {
namespace {

using clock_type = std::chrono::steady_clock;
using Digest = std::array<unsigned char, 32>;

double ms_since(clock_type::time_point t0) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
}

Digest sha256(const std::string& bytes) {
  Digest d{};
  unsigned int n = 0;
  EVP_Digest(bytes.data(), bytes.size(), d.data(), &n, EVP_sha256(), nullptr);
  return d;
}

constexpr size_t voice_cache_entries = 32;
// Streaming: the first chunk once this many speech tokens exist (1 s of audio), then one per
// `stream_chunk_tokens`. Each chunk re-runs the flow over every token so far (its attention is
// bidirectional) and holds back the last frames, which the next tokens still change.
constexpr size_t stream_first_tokens = 25, stream_chunk_tokens = 50;
constexpr int64_t stream_holdback_samples = 4 * 480;
constexpr int64_t lookahead_frames = 6;  // flow.inference(finalize=False) drops 3 tokens x 2 frames

class ChatterboxEngine final : public TtsEngine {
 public:
  explicit ChatterboxEngine(const EngineConfig& config) : config_(config), voices_(voice_cache_entries) {
    if (config.device != "cpu")
      throw std::runtime_error("device " + config.device +
                               " is not supported by this build of the chatterbox engine; use chatterbox@cpu");
    auto it = config.options.find("chatterbox");
    if (it == config.options.end() || it->second.empty())
      throw std::runtime_error("no folder for the chatterbox repository was resolved");
    folder_ = it->second;
    if (auto d = config.options.find("chatterbox_dims"); d != config.options.end()) dims_file_ = d->second;
  }

  EngineInfo info() const override { return {"chatterbox", ChatterboxModel::sample_rate}; }

  void load(const LoadProgress& progress) override {
    runtime::configure_cpu_threads();
    progress.entered("read");
    auto t0 = clock_type::now();
    model_ = std::make_unique<ChatterboxModel>(folder_, ChatterboxDims::load(dims_file_));
    progress.finished("read", ms_since(t0) / 1000);
    // The weights are memory-mapped on the CPU device: there is no copy to a device memory.
    progress.entered("to_device");
    progress.finished("to_device", 0);
  }

  // Every stage once on the device: T3 for a few tokens, then the flow and HiFT. When T3 stops
  // at once (possible for any model), the flow gets the built-in voice's prompt tokens instead,
  // so that READY always means every stage ran.
  void warm_up() override {
    ChatterboxRequest request;
    request.text = "Warm up.";
    request.sampling.max_new_tokens = 16;
    const auto& voice = model_->builtin_voice();
    auto gen = at::make_generator<at::CPUGeneratorImpl>(0);
    runtime::SeededDraw draw(gen);
    auto tokens = model_->speech_tokens(voice, request, draw);
    if (tokens.empty()) {
      auto prompt = voice.flow.prompt_token.reshape({-1}).slice(0, 0, 16).contiguous();
      tokens.assign(prompt.data_ptr<int64_t>(), prompt.data_ptr<int64_t>() + prompt.numel());
    }
    model_->vocode(model_->mel(tokens, voice, gen), gen);
  }

  Synthesis synthesize(const synthesis_params& p, const StreamSink& sink, const CancelToken& cancel) override {
    Synthesis out;
    out.seed = p.seed;
    auto t0 = clock_type::now();
    const VoiceConditionals& voice = conditionals(p.voice);
    out.conditioning_ms = ms_since(t0);

    ChatterboxRequest request;
    request.text = p.text;
    request.exaggeration = p.exaggeration;
    request.sampling.cfg_weight = p.cfg_weight;
    request.sampling.temperature = p.temperature;
    request.sampling.min_p = p.min_p;
    request.sampling.top_p = p.top_p;
    request.sampling.repetition_penalty = p.repetition_penalty;
    request.sampling.max_new_tokens = p.max_new_tokens;

    // One generator for the whole synthesis, as the reference's torch.manual_seed(seed): T3's
    // draws, then the flow's noise, then HiFT's source.
    auto gen = at::make_generator<at::CPUGeneratorImpl>(p.seed);
    runtime::SeededDraw draw(gen);
    std::optional<StreamState> stream;
    std::function<void(int64_t)> on_token;
    if (sink) {
      stream.emplace(p.seed);
      on_token = [&](int64_t token) {
        if (token >= s3_speech_vocab) return;  // start, stop and T3-only ids are not audio
        stream->tokens.push_back(token);
        const size_t next = stream->emitted_tokens == 0 ? stream_first_tokens : stream->emitted_tokens + stream_chunk_tokens;
        if (stream->tokens.size() >= next) emit_chunk(*stream, voice, sink, cancel, false, out);
      };
    }
    auto t1 = clock_type::now();
    auto tokens = model_->speech_tokens(voice, request, draw, &cancel, on_token);
    out.generation_ms = ms_since(t1) - (stream ? stream->vocoding_ms : 0);
    if (tokens.empty()) throw std::runtime_error("T3 produced no speech tokens (it stopped at once)");
    if (cancel.requested()) throw SynthesisCancelled();

    if (stream) {
      emit_chunk(*stream, voice, sink, cancel, true, out);
      out.samples = std::move(stream->samples);
      out.vocoding_ms = stream->vocoding_ms;
      return out;
    }
    auto t2 = clock_type::now();
    auto mel = model_->mel(tokens, voice, gen, &cancel);
    out.token_to_mel_ms = ms_since(t2);
    auto wav = model_->vocode(mel, gen).contiguous();
    out.vocoding_ms = ms_since(t2);
    out.samples.assign(wav.data_ptr<float>(), wav.data_ptr<float>() + wav.numel());
    return out;
  }

 private:
  struct StreamState {
    explicit StreamState(uint64_t s) : seed(s) {}
    uint64_t seed;
    std::vector<int64_t> tokens;
    size_t emitted_tokens = 0;
    int64_t emitted_samples = 0;
    std::vector<float> samples;  // everything sent, returned as the job's audio
    double vocoding_ms = 0;
  };

  // Vocodes every token so far with a generator seeded like the job's (so the source phases
  // stay the same from chunk to chunk) and sends the samples not sent yet.
  void emit_chunk(StreamState& s, const VoiceConditionals& voice, const StreamSink& sink,
                  const CancelToken& cancel, bool final, Synthesis& out) {
    auto t0 = clock_type::now();
    auto gen = at::make_generator<at::CPUGeneratorImpl>(s.seed + 1);
    auto mel = model_->mel(s.tokens, voice, gen, &cancel);
    if (!final) mel = mel.slice(2, 0, std::max<int64_t>(0, mel.size(2) - lookahead_frames));
    auto wav = model_->vocode(mel, gen).contiguous();
    const int64_t end = final ? wav.numel() : std::max<int64_t>(0, wav.numel() - stream_holdback_samples);
    if (end > s.emitted_samples) {
      const float* data = wav.data_ptr<float>();
      sink(std::span<const float>(data + s.emitted_samples, end - s.emitted_samples));
      s.samples.insert(s.samples.end(), data + s.emitted_samples, data + end);
      s.emitted_samples = end;
    }
    s.emitted_tokens = s.tokens.size();
    s.vocoding_ms += ms_since(t0);
  }

  // The voice's conditionals: the built-in voice, or a clip's, computed once per distinct clip.
  const VoiceConditionals& conditionals(const voice_spec& voice) {
    if (voice.kind.empty()) return model_->builtin_voice();
    if (voice.kind != "audio")
      throw std::logic_error("voice of kind " + voice.kind + " reached the engine unresolved");
    const Digest key = sha256(voice.audio);
    if (const VoiceConditionals* hit = voices_.find(key)) return *hit;
    auto [wav24, wav16] = reference_clip(voice.audio);
    spdlog::info("new reference clip: {:.2f} s; conditioning on it", wav24.size(0) / 24000.0);
    return voices_.put(key, model_->clone_voice(wav24, wav16));
  }

  EngineConfig config_;
  std::string folder_, dims_file_;
  std::unique_ptr<ChatterboxModel> model_;
  LruCache<Digest, VoiceConditionals> voices_;
};

}  // namespace

std::unique_ptr<TtsEngine> make_chatterbox_engine(const EngineConfig& config) {
  return std::make_unique<ChatterboxEngine>(config);
}

}  // namespace warmtts::chatterbox
