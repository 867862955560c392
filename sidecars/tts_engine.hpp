// The contract between a model actor and a text-to-speech model. Engines are plain C++ (no CAF):
// the model actor calls every method from one dedicated thread, the one that owns the device.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "actors/job_types.hpp"

namespace warmtts {

// Where and how an engine should load; filled from the configuration of one model replica.
struct EngineConfig {
  std::string model;   // "chatterbox", "higgs"
  std::string device;  // "cpu", "cuda:0", ...
  std::map<std::string, std::string> options;  // model-specific settings (paths, dtype, ...)
};

struct EngineInfo {
  std::string model;
  int sample_rate = 0;  // native output rate
};

// Load phases an engine reports (names match warmtts_model_load_seconds{phase}).
struct LoadProgress {
  std::function<void(const std::string& phase)> entered;  // the model actor maps phases to states
  std::function<void(const std::string& phase, double seconds)> finished;
};

// Set by the model actor when a job is cancelled or timed out; engines check it between steps.
class CancelToken {
 public:
  CancelToken() : flag_(std::make_shared<std::atomic<bool>>(false)) {}
  void request() const { flag_->store(true, std::memory_order_relaxed); }
  bool requested() const { return flag_->load(std::memory_order_relaxed); }

 private:
  std::shared_ptr<std::atomic<bool>> flag_;
};

// Thrown by an engine that saw its CancelToken set.
struct SynthesisCancelled : std::runtime_error {
  SynthesisCancelled() : std::runtime_error("synthesis cancelled") {}
};

// Thrown for a problem with the job's input that only the engine can see (e.g. an unusable
// reference clip); the message is shown to the user as is.
struct InvalidInput : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Receives audio as it is produced when a job asked for `stream`; mono float32 at the
// engine's native rate.
using StreamSink = std::function<void(std::span<const float> samples)>;

struct Synthesis {
  std::vector<float> samples;  // mono, native rate, [-1, 1]
  uint64_t seed = 0;           // the seed actually used
  double conditioning_ms = 0;
  double generation_ms = 0;
  double vocoding_ms = 0;       // speech tokens -> waveform
  double token_to_mel_ms = 0;   // the part of vocoding_ms before the vocoder proper (Chatterbox's flow)
};

class TtsEngine {
 public:
  virtual ~TtsEngine() = default;

  virtual EngineInfo info() const = 0;

  // Resolves, verifies and reads the weights onto the device. Throws std::exception with a
  // message a person can act on. Called once, before any job.
  virtual void load(const LoadProgress& progress) = 0;

  // One real synthesis on the device; the model is READY only after it succeeded.
  virtual void warm_up() = 0;

  virtual Synthesis synthesize(const synthesis_params& params, const StreamSink& sink,
                               const CancelToken& cancel) = 0;
};

}  // namespace warmtts
