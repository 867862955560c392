#include "orchestrator/cli.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "sidecars/model_catalog.hpp"

namespace warmtts {
namespace {

// Applies the JSON config file to every option that neither a flag nor an environment variable
// has set (CLI11 alone would let the file beat the environment).
void apply_config_file(CLI::App& app, const std::string& path) {
  std::ifstream in(path);
  if (!in) throw CLI::ValidationError("--config", "cannot read config file " + path);
  nlohmann::json doc = nlohmann::json::parse(in, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    throw CLI::ValidationError("--config", path + " is not a JSON object");
  for (const auto& [key, value] : doc.items()) {
    std::string name = key;
    std::replace(name.begin(), name.end(), '_', '-');
    CLI::Option* opt = name == "config" ? nullptr : app.get_option_no_throw("--" + name);
    if (!opt)
      throw CLI::ValidationError("--config", path + ": \"" + key +
                                                 "\" is not an option (see warmtts --help)");
    if (opt->count() > 0) continue;
    std::vector<std::string> results;
    auto as_text = [&](const nlohmann::json& v) {
      return v.is_string() ? v.get<std::string>() : v.dump();
    };
    if (value.is_array())
      for (const auto& v : value) results.push_back(as_text(v));
    else
      results.push_back(as_text(value));
    opt->add_result(results);
    opt->run_callback();
  }
}

void check(Config& c) {
  if (c.models.empty()) throw CLI::ValidationError("--models", "configure at least one model");
  for (const auto& m : c.models) {
    auto at = m.find('@');
    std::string name = m.substr(0, at);
    if (at == std::string::npos || at + 1 == m.size())
      throw CLI::ValidationError("--models", "\"" + m + "\" must be MODEL@DEVICE, e.g. chatterbox@cuda:0");
    if (!find_model_spec(name))
      throw CLI::ValidationError("--models", "unknown model \"" + name + "\"; known: " +
                                                  known_model_names());
    if (std::count(c.models.begin(), c.models.end(), m) > 1)
      throw CLI::ValidationError("--models", "\"" + m + "\" is listed twice");
  }
  try {
    c.resolve_options();
  } catch (const std::invalid_argument& e) {
    throw CLI::ValidationError("sources", e.what());
  }
  auto names = c.model_names();
  c.runpod.concurrency.clear();
  for (const auto& entry : c.runpod.concurrency_option) {
    auto eq = entry.find('=');
    std::string model = entry.substr(0, eq);
    if (eq == std::string::npos || std::find(names.begin(), names.end(), model) == names.end())
      throw CLI::ValidationError("--runpod-concurrency",
                                 "\"" + entry + "\" must be MODEL=N for a configured model, e.g. " +
                                     names.front() + "=2");
    char* end = nullptr;
    long n = std::strtol(entry.c_str() + eq + 1, &end, 10);
    if (eq + 1 == entry.size() || *end != '\0' || n < 1 || n > 1024)
      throw CLI::ValidationError("--runpod-concurrency",
                                 "\"" + entry + "\": N must be a whole number from 1 to 1024");
    c.runpod.concurrency[model] = static_cast<uint32_t>(n);
  }
  if (c.default_model.empty()) c.default_model = names.front();
  if (std::find(names.begin(), names.end(), c.default_model) == names.end())
    throw CLI::ValidationError("--default-model", "\"" + c.default_model +
                                                      "\" is not one of the configured models");
}

}  // namespace

CommandLine parse_command_line(int argc, char** argv) {
  CommandLine out;
  Config& c = out.config;
  CLI::App app{"warmtts: a RunPod serverless worker serving Chatterbox and Higgs Audio v2 with "
               "weights loaded once, before the first job.\n"
               "Precedence: flags > WARMTTS_* environment variables > --config file."};
  app.fallthrough();  // global options may follow the subcommand
  app.require_subcommand(0, 1);
  app.get_formatter()->column_width(36);

  app.add_option("--config", c.config_file,
                 "JSON file whose keys are option names (e.g. {\"port\": 8000, \"models\": [...]})")
      ->envname("WARMTTS_CONFIG");
  app.add_option("--host", c.host, "Address the HTTP API listens on")
      ->envname("WARMTTS_HOST")->capture_default_str();
  app.add_option("--port", c.port, "Port of the HTTP API (0: any free port)")
      ->envname("WARMTTS_PORT")->capture_default_str();
  app.add_option("--http-threads", c.http_threads, "Threads serving HTTP")
      ->envname("WARMTTS_HTTP_THREADS")->check(CLI::Range(1, 64))->capture_default_str();
  app.add_option("--max-body-bytes", c.max_body_bytes, "Largest accepted request body")
      ->envname("WARMTTS_MAX_BODY_BYTES")->capture_default_str();
  app.add_option("--max-header-bytes", c.max_header_bytes, "Largest accepted request header")
      ->envname("WARMTTS_MAX_HEADER_BYTES")->capture_default_str();
  app.add_option("--models", c.models,
                 "Model replicas to load at start-up, MODEL@DEVICE, comma-separated (models: " +
                     known_model_names() + ")")
      ->envname("WARMTTS_MODELS")->delimiter(',')->capture_default_str();
  app.add_option("--default-model", c.default_model,
                 "Model of a job that names none (default: the first of --models)")
      ->envname("WARMTTS_DEFAULT_MODEL");
  app.add_option("--chatterbox-sources", c.chatterbox_sources,
                 "Where ResembleAI/chatterbox is, in order: dir:PATH, runpod-cache[:HUB][@REV], "
                 "volume:PATH, image:PATH")
      ->envname("WARMTTS_CHATTERBOX_SOURCES")->capture_default_str();
  app.add_option("--higgs-sources", c.higgs_sources,
                 "Where bosonai/higgs-audio-v2-generation-3B-base is (same forms)")
      ->envname("WARMTTS_HIGGS_SOURCES")->capture_default_str();
  app.add_option("--higgs-tokenizer-sources", c.higgs_tokenizer_sources,
                 "Where bosonai/higgs-audio-v2-tokenizer is (same forms)")
      ->envname("WARMTTS_HIGGS_TOKENIZER_SOURCES")->capture_default_str();
  app.add_option("--chatterbox-dims", c.chatterbox_dims,
                 "JSON file of Chatterbox dimensions, for non-official (tiny) checkpoints")
      ->envname("WARMTTS_CHATTERBOX_DIMS");
  app.add_flag("--verify-hash", c.verify_hash,
               "Before loading, recompute every cache blob's sha256 and compare with its name")
      ->envname("WARMTTS_VERIFY_HASH");
  app.add_option("--local-cache", c.local_cache,
                 "Copy weights from the network volume to this local folder once; load the copy")
      ->envname("WARMTTS_LOCAL_CACHE");
  app.add_option("--queue-capacity", c.queue_capacity, "Jobs that may wait per model")
      ->envname("WARMTTS_QUEUE_CAPACITY")->check(CLI::Range(1, 100000))->capture_default_str();
  app.add_option("--queue-timeout", c.queue_timeout_s, "Seconds a job may wait in a queue")
      ->envname("WARMTTS_QUEUE_TIMEOUT")->check(CLI::Range(1, 604800))->capture_default_str();
  app.add_option("--execution-timeout", c.execution_timeout_s,
                 "Default policy.executionTimeout, seconds")
      ->envname("WARMTTS_EXECUTION_TIMEOUT")->check(CLI::Range(5, 604800))->capture_default_str();
  app.add_option("--run-retention", c.run_retention_s, "Seconds the result of /run is kept")
      ->envname("WARMTTS_RUN_RETENTION")->capture_default_str();
  app.add_option("--runsync-retention", c.runsync_retention_s,
                 "Seconds the result of /runsync is kept")
      ->envname("WARMTTS_RUNSYNC_RETENTION")->capture_default_str();
  app.add_option("--runsync-wait", c.runsync_wait_ms, "Default ?wait= of /runsync, milliseconds")
      ->envname("WARMTTS_RUNSYNC_WAIT")->check(CLI::Range(1000, 300000))->capture_default_str();
  app.add_option("--max-text-chars", c.max_text_chars, "Longest input.text, in characters")
      ->envname("WARMTTS_MAX_TEXT_CHARS")->check(CLI::Range(1, 1000000))->capture_default_str();
  app.add_option("--max-voice-bytes", c.max_voice_bytes, "Largest reference clip")
      ->envname("WARMTTS_MAX_VOICE_BYTES")->capture_default_str();
  app.add_option("--voice-library", c.voice_library,
                 "Folder of named reference clips (NAME.wav/.flac/.mp3/.ogg) for input.voice.name")
      ->envname("WARMTTS_VOICE_LIBRARY");
  app.add_option("--shutdown-grace", c.shutdown_grace_s,
                 "On SIGTERM, seconds to wait for jobs in flight")
      ->envname("WARMTTS_SHUTDOWN_GRACE")->capture_default_str();
  app.add_option("--log-level", c.log_level, "trace, debug, info, warn or error")
      ->envname("WARMTTS_LOG_LEVEL")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();
  auto* log_level_opt = app.get_option("--log-level");

  RunPodSettings& rp = c.runpod;
  app.add_option("--runpod-concurrency", rp.concurrency_option,
                 "Queue worker: jobs held at once per model, MODEL=N, comma-separated (default: "
                 "the model's replicas); more than one free slot takes jobs in batches")
      ->envname("WARMTTS_RUNPOD_CONCURRENCY")->delimiter(',');
  app.add_flag("--runpod-aggregate-stream", rp.aggregate_stream,
               "Queue worker: a stream job's final result lists every chunk (RunPod's "
               "return_aggregate_stream); otherwise it is the summary without audio")
      ->envname("WARMTTS_RUNPOD_AGGREGATE_STREAM");
  app.add_option("--runpod-max-result-bytes", rp.max_result_bytes,
                 "Queue worker: largest job result posted; a larger one becomes an error that "
                 "suggests a compressed format or streaming")
      ->envname("WARMTTS_RUNPOD_MAX_RESULT_BYTES")->check(CLI::Range(1024, 1 << 30))
      ->capture_default_str();
  app.add_option("--runpod-progress-interval", rp.progress_interval_ms,
                 "Queue worker: stream jobs post a progress update at most this often, ms (0: never)")
      ->envname("WARMTTS_RUNPOD_PROGRESS_INTERVAL")->capture_default_str();
  app.add_option("--runpod-take-timeout", rp.take_timeout_ms,
                 "Queue worker: a job-take or job-stop long-poll is given up and renewed after this, ms")
      ->envname("WARMTTS_RUNPOD_TAKE_TIMEOUT")->check(CLI::Range(100, 3'600'000))
      ->capture_default_str();
  app.add_option("--runpod-throttle-wait", rp.throttle_wait_ms,
                 "Queue worker: pause after a 429 answer, ms")
      ->envname("WARMTTS_RUNPOD_THROTTLE_WAIT")->check(CLI::Range(0, 600'000))
      ->capture_default_str();
  app.add_option("--runpod-result-retry", rp.result_retry_s,
                 "Queue worker: seconds a result is retried (5xx, 429, no connection) before it is "
                 "given up")
      ->envname("WARMTTS_RUNPOD_RESULT_RETRY")->check(CLI::Range(1, 86400))
      ->capture_default_str();
  app.add_flag("--runpod-refresh-worker", rp.refresh_worker,
               "Queue worker: every result asks RunPod for a fresh worker (stopPod) and the "
               "process exits after that job")
      ->envname("WARMTTS_RUNPOD_REFRESH_WORKER");
  app.add_option("--test_input,--test-input", out.test_input,
                 "Run this one job ({\"input\": {...}}) locally and exit: 0 when it succeeds, 1 "
                 "when not (without a subcommand, ./test_input.json is read instead)");

  auto* json_flag = app.add_flag("--log-json", c.log_json,
                                 "One JSON object per log line (default when RUNPOD_ENDPOINT_ID is set)")
                        ->envname("WARMTTS_LOG_JSON");

  app.add_subcommand("serve", "Load the configured models and serve the HTTP API")
      ->callback([&] { out.command = "serve"; });
  auto* volume_cmd = app.add_subcommand("volume", "Weight sources and their verification");
  volume_cmd->require_subcommand(1);
  auto* verify = volume_cmd->add_subcommand(
      "verify", "Resolve and verify every configured model's weights; exit 1 if one cannot load");
  verify->add_flag("--hash", out.verify_hash, "Also recompute cache blob hashes");
  verify->add_option("--model", out.verify_model, "Only this model");
  verify->callback([&] { out.command = "volume verify"; });
  auto* models_cmd = app.add_subcommand("models", "Model files");
  models_cmd->require_subcommand(1);
  auto* fetch = models_cmd->add_subcommand(
      "fetch", "Download MODEL's files from the Hugging Face hub (HF_ENDPOINT, HF_TOKEN) into DIR");
  fetch->add_option("model", out.fetch_model, "chatterbox or higgs")->required()
      ->check(CLI::IsMember({"chatterbox", "higgs"}));
  fetch->add_option("--to", out.fetch_to, "Cache folder (Hugging Face layout)")->required();
  fetch->add_option("--revision", out.fetch_revision, "Branch, tag or commit")->capture_default_str();
  fetch->callback([&] { out.command = "models fetch"; });

  try {
    app.parse(argc, argv);
    if (!c.config_file.empty()) apply_config_file(app, c.config_file);
    if (!out.verify_model.empty() && !find_model_spec(out.verify_model))
      throw CLI::ValidationError("--model", "unknown model \"" + out.verify_model + "\"");
    if (json_flag->count() == 0 && std::getenv("RUNPOD_ENDPOINT_ID")) c.log_json = true;
    out.test_input_given = app.get_option("--test_input")->count() > 0;
    try {
      read_runpod_environment(c.runpod);
    } catch (const std::invalid_argument& e) {
      throw CLI::ValidationError("environment", e.what());
    }
    if (log_level_opt->count() == 0 && !c.runpod.log_level.empty())
      c.log_level = c.runpod.log_level;
    if (c.runpod.realtime_port != 0) {  // RunPod's realtime API: served on every interface
      if (app.get_option("--port")->count() == 0) c.port = c.runpod.realtime_port;
      if (app.get_option("--host")->count() == 0) c.host = "0.0.0.0";
      if (app.get_option("--http-threads")->count() == 0 && c.runpod.realtime_concurrency > 0)
        c.http_threads = static_cast<int>(c.runpod.realtime_concurrency);
    }
    check(c);
  } catch (const CLI::CallForHelp& e) {
    std::exit(app.exit(e));
  } catch (const CLI::CallForAllHelp& e) {
    std::exit(app.exit(e));
  } catch (const CLI::ParseError& e) {
    throw UsageError(e.what());
  }
  return out;
}

}  // namespace warmtts
