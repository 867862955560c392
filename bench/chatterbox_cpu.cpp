// bench/chatterbox_cpu: Chatterbox English synthesis on CPU, fp32, 2 threads, over a full-size
// repository with random weights in the official layout (bench/peers/chatterbox_full_repo.py):
// conditioning on a 10 s reference clip (decode, resample, clone_voice: what the engine does for
// a job's clip), T3 for exactly --tokens speech tokens, the S3Gen flow, HiFT. One warm-up run,
// then --runs runs; prints one JSON line with the median of each stage (ms), the median of the
// per-run totals, and peak RSS. bench/chatterbox_cpu.sh runs it and the Python reference
// (bench/peers/chatterbox_cpu.py) one after the other and prints the comparison.
//   chatterbox_cpu --folder DIR [--runs N] [--tokens N] [--text TEXT]
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>

#include "sidecars/chatterbox/chatterbox_model.hpp"
#include "sidecars/runtime/audio_decoder.hpp"
#include "sidecars/runtime/audio_encoder.hpp"
#include "sidecars/runtime/cpu_threads.hpp"
#include "sidecars/runtime/sampling.hpp"

using namespace warmtts;
using namespace warmtts::chatterbox;
using clock_type = std::chrono::steady_clock;

namespace {

double ms_since(clock_type::time_point t0) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
}

double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024.0;  // KiB on Linux
}

double cpu_seconds() {  // user + system, this process
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

at::Tensor as_tensor(const std::vector<float>& samples) {
  auto t = at::empty({static_cast<int64_t>(samples.size())}, at::TensorOptions().dtype(at::kFloat));
  std::copy(samples.begin(), samples.end(), t.data_ptr<float>());
  return t;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct Run {
  std::map<std::string, double> ms;
  int64_t t3_tokens = 0, speech_tokens = 0;
  at::Tensor wav;
};

Run synthesize(const ChatterboxModel& model, const std::string& clip_bytes, const std::string& text,
               int64_t max_new_tokens) {
  Run r;
  // Conditioning: the clip as the engine reads a job's voice (decode, resample to 24 kHz if
  // needed, then to 16 kHz), then clone_voice. The reference's prepare_conditionals does the
  // same from the file (librosa.load, librosa.resample).
  auto t0 = clock_type::now();
  auto clip = audio::decode(clip_bytes);
  auto wav24 = clip.sample_rate == ChatterboxModel::sample_rate
                   ? clip.samples
                   : audio::resample(clip.samples, clip.sample_rate, ChatterboxModel::sample_rate);
  auto wav16 = audio::resample(wav24, ChatterboxModel::sample_rate, ChatterboxModel::tokenizer_rate);
  const VoiceConditionals voice = model.clone_voice(as_tensor(wav24), as_tensor(wav16));
  r.ms["conditioning"] = ms_since(t0);

  // One generator for the synthesis, seeded 0, as torch.manual_seed(0) before the reference's T3.
  auto gen = at::make_generator<at::CPUGeneratorImpl>(0);
  runtime::SeededDraw draw(gen);
  ChatterboxRequest request;
  request.text = text;
  request.exaggeration = 0.5;
  request.sampling.cfg_weight = 0.5;
  request.sampling.temperature = 0.8;
  request.sampling.min_p = 0.05;
  request.sampling.top_p = 1.0;
  request.sampling.repetition_penalty = 1.2;
  request.sampling.max_new_tokens = max_new_tokens;
  t0 = clock_type::now();
  auto tokens = model.speech_tokens(voice, request, draw, nullptr, [&](int64_t) { ++r.t3_tokens; });
  r.ms["t3"] = ms_since(t0);
  r.speech_tokens = static_cast<int64_t>(tokens.size());
  if (tokens.empty()) throw std::runtime_error("T3 produced no valid speech tokens");

  t0 = clock_type::now();
  auto mel = model.mel(tokens, voice, gen);
  r.ms["flow"] = ms_since(t0);

  t0 = clock_type::now();
  r.wav = model.vocode(mel, gen).contiguous();
  r.ms["hift"] = ms_since(t0);
  r.ms["total"] = r.ms["conditioning"] + r.ms["t3"] + r.ms["flow"] + r.ms["hift"];
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  std::string folder, text = "The quick brown fox jumps over the lazy dog, and then it runs far away.";
  int runs = 2;
  int64_t tokens = 100;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--folder") folder = argv[i + 1];
    else if (a == "--runs") runs = std::stoi(argv[i + 1]);
    else if (a == "--tokens") tokens = std::stoll(argv[i + 1]);
    else if (a == "--text") text = argv[i + 1];
  }
  if (folder.empty() || runs < 1) {
    std::fprintf(stderr, "usage: chatterbox_cpu --folder DIR [--runs N] [--tokens N] [--text TEXT]\n");
    return 2;
  }
  try {
    runtime::configure_cpu_threads(2);
    const auto start = clock_type::now();
    auto t0 = start;
    ChatterboxModel model(folder, ChatterboxDims{});  // the official dimensions
    const double load_ms = ms_since(t0);
    const double load_rss = peak_rss_mb();

    std::ifstream f(folder + "/voice.wav", std::ios::binary);
    if (!f) throw std::runtime_error("cannot read " + folder + "/voice.wav");
    std::stringstream bytes;
    bytes << f.rdbuf();
    const std::string clip = bytes.str();

    synthesize(model, clip, text, tokens);  // warm-up
    std::vector<Run> samples;
    for (int i = 0; i < runs; ++i) samples.push_back(synthesize(model, clip, text, tokens));

    const Run& last = samples.back();
    const auto& wav = last.wav;
    std::printf("{");
    for (const char* stage : {"conditioning", "t3", "flow", "hift", "total"}) {
      std::vector<double> v;
      for (const auto& s : samples) v.push_back(s.ms.at(stage));
      std::printf("\"%s\": %.3f, ", stage, median(v));
    }
    std::printf(
        "\"load_ms\": %.3f, \"runs\": %d, \"threads\": %d, \"t3_tokens\": %lld, \"speech_tokens\": %lld, "
        "\"audio_seconds\": %.4f, \"wav_finite\": %s, \"wav_std\": %.6f, \"wav_absmax\": %.6f, "
        "\"peak_rss_mb\": %.1f, \"load_peak_rss_mb\": %.1f, \"cpu_s\": %.3f, \"wall_s\": %.3f}\n",
        load_ms, runs, at::get_num_threads(), static_cast<long long>(last.t3_tokens),
        static_cast<long long>(last.speech_tokens), wav.numel() / double(ChatterboxModel::sample_rate),
        wav.isfinite().all().item<bool>() ? "true" : "false", wav.std().item<double>(), wav.abs().max().item<double>(),
        peak_rss_mb(), load_rss, cpu_seconds(), ms_since(start) / 1000);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "chatterbox_cpu: %s\n", e.what());
    return 1;
  }
}
