// bench/runpod_turnaround: time from the moment the RunPod emulator answers a job-take with a
// job to the moment it has the job-done for that job, for a synthesis that takes no time (the
// tone test engine, one short word), one worker, no faults, one job at a time. This is what the
// queue worker adds around the model: parsing, validation, the actor hops, encoding, the POST.
//   build/release/bench/runpod_turnaround [JOBS]      (default 2000, after 100 warm-up jobs)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "tests/support/runpod_emulator.hpp"
#include "tests/support/worker_process.hpp"

using namespace warmtts::testing;
using namespace std::chrono_literals;

int main(int argc, char** argv) {
  const int jobs = argc > 1 ? std::atoi(argv[1]) : 2000;
  const int warm_up = 100;
  RunPodEmulatorOptions o;
  o.faults.long_poll_ms = 10'000;
  RunPodEmulator emu(o);
  WorkerProcess worker(test_worker_binary(), {"--models", "chatterbox@cpu"},
                       emu.worker_environment("bench-1"));

  std::vector<double> ms;
  for (int i = 0; i < warm_up + jobs; ++i) {
    auto id = emu.submit({{"text", "a"}});
    bool done = RunPodEmulator::wait_for(
        [&] { return emu.job(id)->status == "COMPLETED" || emu.job(id)->status == "FAILED"; }, 30s);
    auto j = *emu.job(id);
    if (!done || j.status != "COMPLETED") {
      std::fprintf(stderr, "job %s ended %s: %s\n", id.c_str(), j.status.c_str(), j.error.c_str());
      return 1;
    }
    if (i >= warm_up)
      ms.push_back(std::chrono::duration<double, std::milli>(j.finished - j.taken).count());
  }
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) { return ms[std::min(ms.size() - 1, static_cast<size_t>(q * ms.size()))]; };
  std::printf("runpod_turnaround: %d jobs, one worker, no faults, zero-time synthesis\n", jobs);
  std::printf("  job-take answer -> job-done received: median %.3f ms, p90 %.3f ms, p99 %.3f ms, "
              "max %.3f ms (target: median < 2 ms)\n",
              at(0.5), at(0.9), at(0.99), ms.back());
  return 0;
}
