// bench/http_overhead: throughput and latency of /runsync through warmtts's whole path (HTTP
// front, dispatcher, registry, model actor, WAV encoding) with the tone test engine doing no
// real work, at 1, 8 and 64 concurrent keep-alive clients; then the same load against RunPod's
// Python local API server (runpod-python --rp_serve_api, handler returning at once).
// Run it with bench/http_overhead.sh, which installs the peer.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/worker_process.hpp"

using namespace warmtts::testing;
using clock_type = std::chrono::steady_clock;

namespace {

struct Figures {
  double rps = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  size_t errors = 0;
};

// Drives POST /runsync with wrk (event-driven, so that the load generator's own cost stays
// small on a 2-core machine) and reads its figures.
Figures load(uint16_t port, int clients, double seconds) {
  char cmd[512];
  std::snprintf(cmd, sizeof cmd,
                "wrk -t %d -c %d -d %.0fs -s %s --latency http://127.0.0.1:%u/runsync 2>&1",
                clients < 2 ? 1 : 2, clients, seconds, BENCH_DIR "/runsync.lua", port);
  std::string out;
  FILE* p = popen(cmd, "r");
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  pclose(p);
  // wrk prints latencies as "50%  597.00us", "99%    1.20ms" or "1.02s".
  auto ms = [&](const std::string& label) {
    auto at = out.find(label);
    if (at == std::string::npos) return -1.0;
    char* end = nullptr;
    double v = std::strtod(out.c_str() + at + label.size(), &end);
    std::string unit(end, std::strcspn(end, " \n"));
    return unit == "us" ? v / 1000 : unit == "s" ? v * 1000 : v;
  };
  Figures f;
  if (auto at = out.find("Requests/sec:"); at != std::string::npos)
    f.rps = std::atof(out.c_str() + at + 13);
  else
    std::printf("wrk failed:\n%s\n", out.c_str());
  f.p50_ms = ms("50% ");
  f.p99_ms = ms("99% ");
  if (auto at = out.find("Non-2xx or 3xx responses:"); at != std::string::npos)
    f.errors = std::strtoul(out.c_str() + at + 25, nullptr, 10);
  return f;
}

// Starts the Python peer on `port`; returns its pid.
int start_peer(const std::string& python, const std::string& script, uint16_t port) {
  std::fflush(stdout);  // or the child would print our buffered lines again
  int pid = fork();
  if (pid == 0) {
    freopen("/tmp/warmtts-bench-peer.log", "w", stdout);
    freopen("/tmp/warmtts-bench-peer.log", "a", stderr);
    std::string p = std::to_string(port);
    execl(python.c_str(), python.c_str(), script.c_str(), "--rp_serve_api", "--rp_api_host",
          "127.0.0.1", "--rp_api_port", p.c_str(), "--rp_log_level", "ERROR", nullptr);
    _exit(127);
  }
  return pid;
}

bool wait_ready(uint16_t port) {
  const std::string body = R"({"input": {"text": "a"}})";
  for (int i = 0; i < 300; ++i) {
    try {
      HttpClient c(port);
      if (c.post("/runsync", body).status == 200) return true;
    } catch (...) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  std::string python, script;
  double seconds = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--peer-python") python = argv[i + 1];
    else if (a == "--peer-script") script = argv[i + 1];
    else if (a == "--seconds") seconds = std::stod(argv[i + 1]);
  }
  const std::vector<int> levels = {1, 8, 64};

  std::printf("http_overhead: POST /runsync {\"input\":{\"text\":\"a\"}}, wrk keep-alive connections on loopback, %.0f s per level\n",
              seconds);
  std::printf("machine: %u hardware threads\n\n", std::thread::hardware_concurrency());

  std::vector<Figures> ours;
  {
    WorkerProcess w(test_worker_binary(), {"--models", "chatterbox@cpu",
                                           "--queue-capacity", "1000"});
    w.wait_for_ping(200);
    load(w.port(), 8, 1);  // warm-up
    for (int c : levels) ours.push_back(load(w.port(), c, seconds));
  }

  std::vector<Figures> peer;
  if (!python.empty()) {
    uint16_t port = 18000 + getpid() % 1000;
    int pid = start_peer(python, script, port);
    if (wait_ready(port)) {
      load(port, 8, 1);
      for (int c : levels) peer.push_back(load(port, c, seconds));
    } else {
      std::printf("peer did not start; see /tmp/warmtts-bench-peer.log\n");
    }
    kill(pid, SIGTERM);
    waitpid(pid, nullptr, 0);
  }

  std::printf("%-8s | %-34s | %-38s | %s\n", "clients", "warmtts req/s  p50 ms  p99 ms  err",
              "runpod-python req/s  p50 ms  p99 ms  err", "throughput ratio");
  for (size_t i = 0; i < levels.size(); ++i) {
    const auto& o = ours[i];
    std::printf("%-8d | %13.0f %7.2f %7.2f %4zu |", levels[i], o.rps, o.p50_ms, o.p99_ms, o.errors);
    if (i < peer.size()) {
      const auto& p = peer[i];
      std::printf(" %19.0f %7.2f %7.2f %4zu | %.1fx\n", p.rps, p.p50_ms, p.p99_ms, p.errors,
                  p.rps > 0 ? o.rps / p.rps : 0.0);
    } else {
      std::printf(" %34s | -\n", "(no peer)");
    }
  }
  std::printf("\ntarget: >= 10x the peer's throughput; warmtts p99 < 5 ms at 64 clients\n");
  return 0;
}
