// warmtts's configuration: one struct, read once at start-up from CLI flags, then environment
// variables (WARMTTS_*), then an optional JSON config file — in that order of precedence.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "orchestrator/job_input.hpp"
#include "orchestrator/runpod_settings.hpp"
#include "volume/resolver.hpp"
#include "volume/sources.hpp"

namespace warmtts {

struct Config {
  // HTTP front
  std::string host = "127.0.0.1";
  uint16_t port = 8000;
  int http_threads = 2;
  size_t max_body_bytes = 32u << 20;
  size_t max_header_bytes = 16u << 10;

  // Models: each entry is one replica, "model@device".
  std::vector<std::string> models = {"chatterbox@cuda:0", "higgs@cuda:0"};
  std::string default_model;  // "" : the first configured model

  // Weights: each repository's own ordered list of sources (volume/sources.hpp)
  std::string chatterbox_sources = volume::default_sources;
  std::string higgs_sources = volume::default_sources;
  std::string higgs_tokenizer_sources = volume::default_sources;
  std::string chatterbox_dims;  // dims file for non-official (tiny) Chatterbox checkpoints
  bool verify_hash = false;     // recompute cache blob hashes before loading
  std::string local_cache;      // copy weights here from a network volume once, load the copy

  // Jobs
  uint32_t queue_capacity = 64;       // per model
  uint32_t queue_timeout_s = 600;     // longest a job waits in a queue
  uint32_t execution_timeout_s = 600; // default policy.executionTimeout
  uint32_t run_retention_s = 1800;    // results of /run kept (RunPod: 30 min)
  uint32_t runsync_retention_s = 60;  // results of /runsync kept (RunPod: 1 min)
  uint32_t runsync_wait_ms = 90'000;  // default ?wait= of /runsync
  size_t max_text_chars = 3000;
  size_t max_voice_bytes = 10u << 20;
  std::string voice_library;          // folder of named clips for input.voice.name, "" for none
  uint32_t shutdown_grace_s = 600;    // SIGTERM: longest wait for jobs in flight

  // Logging
  std::string log_level = "info";
  bool log_json = false;  // RunPod console format; on when RUNPOD_ENDPOINT_ID is set

  // RunPod's queue protocol: RUNPOD_* variables and --runpod-* options
  RunPodSettings runpod;

  std::string config_file;  // where file values came from, "" when none

  // Model names of `models`, without duplicates, in order.
  std::vector<std::string> model_names() const;

  // How models find and check their weights. Throws std::invalid_argument for a bad source list.
  volume::ResolveOptions resolve_options() const;

  // What job input validation allows (the HTTP API and the queue worker validate alike).
  JobInputLimits job_input_limits() const;
};

}  // namespace warmtts
