#include "tests/support/tone_test_engine.hpp"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <thread>

#include "sidecars/model_catalog.hpp"

namespace warmtts::testing {
namespace {

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v ? std::atoi(v) : fallback;
}

bool listed(const char* env, const std::string& model) {
  const char* v = std::getenv(env);
  if (!v) return false;
  std::stringstream ss(v);
  for (std::string item; std::getline(ss, item, ',');)
    if (item == model) return true;
  return false;
}

class ToneTestEngine final : public TtsEngine {
 public:
  explicit ToneTestEngine(const EngineConfig& config)
      : config_(config),
        load_ms_(env_int("WARMTTS_TONE_LOAD_MS", 0)),
        step_ms_(env_int("WARMTTS_TONE_STEP_MS", 0)),
        fail_load_(listed("WARMTTS_TONE_FAIL_LOAD", config.model)) {}

  EngineInfo info() const override {
    return {config_.model, find_model_spec(config_.model)->sample_rate};
  }

  void load(const LoadProgress& progress) override {
    for (const char* phase : {"read", "to_device"}) {
      progress.entered(phase);
      auto t0 = std::chrono::steady_clock::now();
      std::this_thread::sleep_for(std::chrono::milliseconds(load_ms_ / 4));
      if (fail_load_ && std::string(phase) == "read")
        throw std::runtime_error("tone test engine told to fail (WARMTTS_TONE_FAIL_LOAD)");
      progress.finished(phase, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
  }

  void warm_up() override {
    synthesis_params p;
    p.text = "warm up";
    auto s = synthesize(p, {}, CancelToken{});
    if (s.samples.empty()) throw std::runtime_error("warm-up produced no audio");
  }

  Synthesis synthesize(const synthesis_params& p, const StreamSink& sink,
                       const CancelToken& cancel) override {
    if (p.text.find("[fail]") != std::string::npos)
      throw std::runtime_error("tone test engine told to fail ([fail] in text)");
    if (p.text.find("[invalid]") != std::string::npos)
      throw InvalidInput("tone test engine rejects this input ([invalid] in text)");
    int sleep_ms = 0;
    if (auto at = p.text.find("[sleep:"); at != std::string::npos)
      sleep_ms = std::atoi(p.text.c_str() + at + 7);

    const int rate = info().sample_rate;
    const size_t total = std::min<size_t>(p.text.size() * rate * 8 / 100, 30 * rate);
    const double freq = 220.0 + static_cast<double>(p.seed % 220);
    Synthesis out;
    out.seed = p.seed;
    out.samples.resize(total);
    auto t0 = std::chrono::steady_clock::now();
    const size_t step = rate / 10;  // 100 ms of audio per step
    const size_t steps = (total + step - 1) / step;
    // The tone by rotating a phasor: a test double should cost next to nothing.
    const double w = 2 * M_PI * freq / rate;
    const double cw = std::cos(w), sw = std::sin(w);
    double re = 1, im = 0;
    for (size_t s = 0, i = 0; i < total; ++s) {
      if (cancel.requested()) throw SynthesisCancelled();
      size_t end = std::min(total, i + step);
      for (size_t k = i; k < end; ++k) {
        out.samples[k] = static_cast<float>(0.5 * im);
        double r2 = re * cw - im * sw;
        im = re * sw + im * cw;
        re = r2;
      }
      if (sink) sink(std::span<const float>(out.samples.data() + i, end - i));
      i = end;
      int wait = step_ms_ + (steps ? sleep_ms / static_cast<int>(steps) : 0);
      // Sleep in 10 ms slices so that cancellation is seen quickly.
      for (int left = wait; left > 0; left -= 10) {
        if (cancel.requested()) throw SynthesisCancelled();
        std::this_thread::sleep_for(std::chrono::milliseconds(std::min(left, 10)));
      }
    }
    out.generation_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    return out;
  }

 private:
  EngineConfig config_;
  int load_ms_;
  int step_ms_;
  bool fail_load_;
};

}  // namespace

EngineCatalog tone_test_engines(bool loads_weights) {
  EngineCatalog catalog;
  for (const auto& spec : model_specs())
    catalog.add(
        std::string(spec.name),
        [loads_weights](const EngineConfig& c) {
          if (loads_weights && !c.options.count(c.model))
            throw std::runtime_error("tone test engine: no folder for " + c.model);
          return std::make_unique<ToneTestEngine>(c);
        },
        loads_weights);
  return catalog;
}

}  // namespace warmtts::testing
