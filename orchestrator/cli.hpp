// The `warmtts` command line (CLI11): global options that fill Config, and the subcommands.
#pragma once

#include <stdexcept>
#include <string>

#include "orchestrator/config.hpp"

namespace warmtts {

struct CommandLine {
  Config config;
  // "serve", "volume verify", "models fetch", or "" (RunPod's entry point: queue worker when
  // RUNPOD_WEBHOOK_GET_JOB is set, else one local test job)
  std::string command;
  // --test_input: one job run locally, RunPod's local-test convention (runpod-protocol.md §8)
  std::string test_input;
  bool test_input_given = false;
  // volume verify
  bool verify_hash = false;
  std::string verify_model;
  // models fetch
  std::string fetch_model;
  std::string fetch_to;
  std::string fetch_revision = "main";
};

// A bad flag, environment variable or config file value; the message says which and why.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Parses argv, the environment and the config file. Prints the help and exits 0 for --help;
// throws UsageError for anything it cannot accept.
CommandLine parse_command_line(int argc, char** argv);

}  // namespace warmtts
