// TEST DOUBLE, as a program: the RunPod emulator (tests/support/runpod_emulator.hpp) on a port
// of its own, for the docker-compose stack and for trying a worker by hand:
//   runpod_emulator --port 8080 --endpoint local --error-rate 0.05
//   eval "$(runpod_emulator --print-env pod-1 ...)"   # prints the worker's RUNPOD_* variables
#include <signal.h>

#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>

#include "tests/support/runpod_emulator.hpp"

int main(int argc, char** argv) {
  warmtts::testing::RunPodEmulatorOptions o;
  std::string print_env_for;
  CLI::App app{"RunPod emulator: the public endpoint API and the queue-worker protocol, with "
               "fault injection on the worker side"};
  app.add_option("--host", o.host, "Address to listen on")->capture_default_str();
  app.add_option("--port", o.port, "Port (0: any free port)")->capture_default_str();
  app.add_option("--endpoint", o.endpoint_id, "Endpoint id in /v2/{endpoint}/...")
      ->capture_default_str();
  app.add_option("--api-key", o.api_key, "Key workers send raw in Authorization")
      ->capture_default_str();
  app.add_option("--latency-ms", o.faults.latency_ms, "Added before every worker-side answer")
      ->check(CLI::Range(0, 600000))->capture_default_str();
  app.add_option("--error-rate", o.faults.error_rate, "Share of worker-side calls answered 500")
      ->check(CLI::Range(0.0, 1.0))->capture_default_str();
  app.add_option("--throttle-rate", o.faults.throttle_rate, "Share answered 429")
      ->check(CLI::Range(0.0, 1.0))->capture_default_str();
  app.add_option("--drop-rate", o.faults.drop_rate, "Share whose connection is dropped unanswered")
      ->check(CLI::Range(0.0, 1.0))->capture_default_str();
  app.add_option("--long-poll-ms", o.faults.long_poll_ms,
                 "How long job-take and job-stop wait for news before answering 204")
      ->check(CLI::Range(1, 600000))->capture_default_str();
  app.add_option("--seed", o.seed, "Seed of the fault draws")->capture_default_str();
  app.add_option("--print-env", print_env_for,
                 "Also print the RUNPOD_* variables of a worker with this id");
  CLI11_PARSE(app, argc, argv);
  if (o.faults.error_rate + o.faults.throttle_rate + o.faults.drop_rate > 1.0) {
    std::cerr << "--error-rate + --throttle-rate + --drop-rate must not exceed 1\n";
    return 2;
  }

  // Signals are taken synchronously on this thread; the server's threads never see them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  warmtts::testing::RunPodEmulator emulator(o);
  std::printf("runpod emulator listening on %s\n", emulator.base_url().c_str());
  if (!print_env_for.empty())
    for (const auto& [k, v] : emulator.worker_environment(print_env_for))
      std::printf("export %s='%s'\n", k.c_str(), v.c_str());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&set, &sig);
  std::printf("runpod emulator: signal %d, stopping\n", sig);
  return 0;
}
