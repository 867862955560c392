#include "actors/model_actor.hpp"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include <caf/all.hpp>

#include "actors/states.hpp"
#include "monitoring/logging.hpp"
#include "monitoring/metrics.hpp"
#include "sidecars/engine_catalog.hpp"
#include "sidecars/model_catalog.hpp"
#include "sidecars/runtime/audio_encoder.hpp"

namespace warmtts {
namespace {

using clock_type = std::chrono::steady_clock;

double ms_since(clock_type::time_point t0) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
}

// The one thread that touches the engine: CUDA's current device is per thread, and a model
// actor must stay responsive (status, cancel) while a synthesis takes seconds.
class EngineThread {
 public:
  EngineThread() : thread_([this] { loop(); }) {}
  ~EngineThread() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }

  void post(std::function<void()> task) {
    {
      std::lock_guard lock(mutex_);
      tasks_.push_back(std::move(task));
    }
    cv_.notify_one();
  }

 private:
  void loop() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
        if (tasks_.empty()) return;
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts after the members it uses
};

// Owned by the engine thread's tasks only.
struct EngineSlot {
  std::unique_ptr<TtsEngine> engine;
  int sample_rate = 0;
};

std::string_view state_for_phase(const std::string& phase) {
  if (phase == "resolve") return model_state::resolving;
  if (phase == "verify") return model_state::verifying;
  if (phase == "warmup") return model_state::warming;
  return model_state::loading;
}

// Loads and warms the engine; every state change goes back to the actor as a message.
void load_engine(EngineSlot& slot, const model_actor_options& opt, model_actor self,
                 model_status status) {
  auto report = [&](std::string_view state, std::string reason) {
    status.state = std::string(state);
    status.reason = std::move(reason);
    caf::anon_send(self, atoms::state::value, status);
  };
  const EngineCatalog::Entry* entry = opt.engines ? opt.engines->find(opt.model) : nullptr;
  if (!entry) {
    const ModelSpec* spec = find_model_spec(opt.model);
    report(model_state::failed,
           "no engine for model '" + opt.model + "' is built into this binary" +
               (spec ? " (the native " + std::string(spec->title) +
                           " port is not implemented yet); remove it from --models"
                     : "; known models: " + known_model_names()));
    Metrics::global().model_load_result(opt.model, opt.device, false);
    return;
  }
  auto record_phase = [&](const std::string& p, double seconds) {
    status.load_seconds[p] = seconds;
    Metrics::global().model_load_phase(opt.model, opt.device, p, seconds);
  };
  EngineConfig engine_config{opt.model, opt.device, {}};
  if (entry->loads_weights) {
    // Nothing is read before every file of every repository is proven complete.
    report(model_state::resolving, "finding the weights");
    auto found = volume::resolve_model(opt.model, opt.volume, [&](const std::string& p) {
      if (state_for_phase(p) != status.state)
        report(state_for_phase(p), p == "resolve" ? "finding the weights" : "verifying the weights");
    });
    record_phase("resolve", found.resolve_seconds);
    record_phase("verify", found.verify_seconds);
    if (found.copy_seconds > 0) record_phase("copy", found.copy_seconds);
    for (const auto& repo : found.repos) {
      if (repo.volume.path.empty()) continue;
      Metrics::global().volume_up(repo.volume.path, repo.volume.mounted && repo.volume.readable);
      if (repo.volume.read_bytes_per_second > 0)
        Metrics::global().volume_read_bytes_per_second(repo.volume.path,
                                                       repo.volume.read_bytes_per_second);
    }
    if (!found.ok) {
      Metrics::global().model_load_result(opt.model, opt.device, false);
      report(model_state::failed, found.reason());
      return;
    }
    for (const auto& [alias, folder] : found.folders()) {
      engine_config.options[alias] = folder;
      spdlog::info("{}@{}: {} from {}", opt.model, opt.device, alias, folder);
    }
    if (!opt.volume.chatterbox_dims.empty()) engine_config.options["chatterbox_dims"] = opt.volume.chatterbox_dims;
  } else {
    record_phase("resolve", 0);  // an engine without weights has nothing to find
    record_phase("verify", 0);
  }
  std::string phase = "create";
  try {
    report(model_state::loading, "creating the engine");
    slot.engine = entry->factory(engine_config);
    slot.sample_rate = slot.engine->info().sample_rate;
    LoadProgress progress;
    progress.entered = [&](const std::string& p) {
      phase = p;
      report(state_for_phase(p), p);
    };
    progress.finished = record_phase;
    slot.engine->load(progress);
    phase = "warmup";
    report(model_state::warming, "warm-up synthesis");
    auto t0 = clock_type::now();
    slot.engine->warm_up();
    progress.finished("warmup", ms_since(t0) / 1000.0);
    Metrics::global().model_load_result(opt.model, opt.device, true);
    report(model_state::ready, "");
  } catch (const std::exception& e) {
    slot.engine.reset();
    Metrics::global().model_load_result(opt.model, opt.device, false);
    report(model_state::failed, opt.model + " failed during " + phase + ": " + e.what());
  }
}

// Runs one job on the engine thread and reports its outcome to the actor.
job_outcome run_job(EngineSlot& slot, const job_spec& job, const CancelToken& cancel,
                    const audio_sink_actor& audio_sink, const VoiceSourceOptions& voices) {
  logging::JobScope scope(job.id);
  job_outcome out;
  const auto& p = job.params;
  const int out_rate = p.sample_rate > 0 ? p.sample_rate : slot.sample_rate;
  try {
    auto t0 = clock_type::now();
    double first_audio_ms = 0;
    uint32_t chunk_index = 0;
    std::optional<audio::StreamResampler> stream_resampler;
    if (p.stream && out_rate != slot.sample_rate)
      stream_resampler.emplace(slot.sample_rate, out_rate);
    auto send_chunk = [&](std::span<const float> samples) {
      if (samples.empty()) return;
      if (chunk_index == 0) first_audio_ms = ms_since(t0);
      caf::anon_send(audio_sink, atoms::chunk::value, job.id, chunk_index++, out_rate,
                     audio::to_pcm_s16le(samples));
    };
    StreamSink sink;
    if (p.stream) {
      sink = [&](std::span<const float> samples) {
        if (stream_resampler) {
          auto r = stream_resampler->process(samples);
          send_chunk(r);
        } else {
          send_chunk(samples);
        }
      };
    }
    // Engines see a voice's bytes, never where they come from.
    std::optional<synthesis_params> with_clip;
    if (p.voice.kind == "url" || p.voice.kind == "name") {
      with_clip = p;
      with_clip->voice.audio = voice_clip_bytes(p.voice, voices);
      with_clip->voice.kind = "audio";
    }
    Synthesis syn = slot.engine->synthesize(with_clip ? *with_clip : p, sink, cancel);
    if (cancel.requested()) throw SynthesisCancelled();
    if (stream_resampler) send_chunk(stream_resampler->flush());
    std::vector<float> samples = out_rate == slot.sample_rate
                                     ? std::move(syn.samples)
                                     : audio::resample(syn.samples, slot.sample_rate, out_rate);
    auto& r = out.result;
    r.audio = audio::encode(samples, out_rate, p.format);
    r.format = p.format;
    r.sample_rate = out_rate;
    r.duration_s = static_cast<double>(samples.size()) / out_rate;
    r.seed = syn.seed;
    r.conditioning_ms = syn.conditioning_ms;
    r.generation_ms = syn.generation_ms;
    r.vocoding_ms = syn.vocoding_ms;
    r.inference_ms = ms_since(t0);
    r.first_audio_ms = first_audio_ms;
    out.status = std::string(job_state::completed);
    spdlog::info("synthesized {:.2f} s of audio in {:.1f} ms", r.duration_s, r.inference_ms);
  } catch (const SynthesisCancelled&) {
    out = job_outcome{std::string(job_state::cancelled), "job was cancelled", {}};
    spdlog::info("synthesis stopped: job cancelled");
  } catch (const InvalidInput& e) {
    out = job_outcome{std::string(job_state::failed), e.what(), {}};
    spdlog::warn("bad input: {}", e.what());
  } catch (const std::exception& e) {
    out = job_outcome{std::string(job_state::failed),
                      p.model + " synthesis failed: " + std::string(e.what()), {}};
    spdlog::error("synthesis failed: {}", e.what());
  }
  return out;
}

struct model_actor_state {
  static inline const char* name = "model_actor";
  model_actor_options options;
  model_status status;
  std::shared_ptr<EngineSlot> slot = std::make_shared<EngineSlot>();
  std::string running_id;
  CancelToken cancel;
  std::optional<caf::typed_response_promise<job_outcome>> pending;
  // Declared last: destroyed first, so the engine thread stops before the state it uses goes.
  std::unique_ptr<EngineThread> engine_thread;
};

model_actor::behavior_type model_actor_behavior(
    model_actor::stateful_pointer<model_actor_state> self, model_actor_options options) {
  auto& st = self->state;
  st.options = std::move(options);
  st.status.model = st.options.model;
  st.status.device = st.options.device;
  st.status.replica = st.options.model + "@" + st.options.device;
  st.status.state = std::string(model_state::unloaded);
  Metrics::global().model_declared(st.options.model, st.options.device);
  st.engine_thread = std::make_unique<EngineThread>();
  // Loading starts now, at spawn: never in a job's path.
  st.engine_thread->post([slot = st.slot, opt = st.options,
                          me = caf::actor_cast<model_actor>(self), status = st.status] {
    load_engine(*slot, opt, me, status);
  });

  return {
      [self](atoms::run, job_spec& job) -> caf::typed_response_promise<job_outcome> {
        auto& st = self->state;
        auto rp = self->make_response_promise<job_outcome>();
        if (st.status.state != model_state::ready) {
          // Never a load here: loading happens once, at spawn (DESIGN.md §2).
          rp.deliver(job_outcome{std::string(job_state::failed),
                                 st.status.replica + " is " + st.status.state +
                                     (st.status.reason.empty() ? "" : ": " + st.status.reason),
                                 {}});
          return rp;
        }
        if (st.pending) {
          rp.deliver(job_outcome{std::string(job_state::failed),
                                 st.status.replica + " is busy with job " + st.running_id, {}});
          return rp;
        }
        st.pending = rp;
        st.running_id = job.id;
        st.cancel = CancelToken{};
        st.status.busy = true;
        st.engine_thread->post([slot = st.slot, job = std::move(job), cancel = st.cancel,
                                sink = st.options.audio_sink, voices = st.options.voices,
                                me = caf::actor_cast<model_actor>(self)] {
          auto out = run_job(*slot, job, cancel, sink, voices);
          caf::anon_send(me, atoms::done::value, job.id, std::move(out));
        });
        return rp;
      },
      [self](atoms::cancel, const std::string& id) {
        auto& st = self->state;
        if (st.pending && st.running_id == id) st.cancel.request();
      },
      [self](atoms::status) { return self->state.status; },
      [self](atoms::drain) {
        auto status = self->state.status;
        status.state = std::string(model_state::draining);
        status.reason = "the worker is shutting down";
        self->send(caf::actor_cast<model_actor>(self), atoms::state::value, std::move(status));
      },
      [self](atoms::state, model_status& s) {
        auto& st = self->state;
        // Once draining, the engine thread's late reports (a load finishing) change nothing.
        if (st.status.state == model_state::draining) return;
        if (s.state != st.status.state) {
          if (s.state == model_state::failed)
            spdlog::error("{}: {} → FAILED: {}", st.status.replica, st.status.state, s.reason);
          else
            spdlog::info("{}: {} → {}{}", st.status.replica, st.status.state, s.state,
                         s.state == model_state::ready ? "" : " (" + s.reason + ")");
        }
        s.busy = st.status.busy;
        st.status = std::move(s);
        Metrics::global().model_state(st.status.model, st.status.device, st.status.state);
        if (st.options.listener) self->send(st.options.listener, atoms::state::value, st.status);
      },
      [self](atoms::done, const std::string& id, job_outcome& out) {
        auto& st = self->state;
        if (!st.pending || st.running_id != id) return;
        auto rp = std::move(*st.pending);
        st.pending.reset();
        st.running_id.clear();
        st.status.busy = false;
        rp.deliver(std::move(out));
      },
  };
}

}  // namespace

model_actor spawn_model_actor(caf::actor_system& sys, model_actor_options options) {
  return sys.spawn(model_actor_behavior, std::move(options));
}

}  // namespace warmtts
