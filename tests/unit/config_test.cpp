#define BOOST_TEST_MODULE config
#include <boost/test/unit_test.hpp>

#include <cstdlib>

#include "tests/support/scoped_env.hpp"
#include <fstream>

#include "orchestrator/cli.hpp"

using namespace warmtts;

namespace {

CommandLine parse(std::vector<std::string> args) {
  args.insert(args.begin(), "warmtts");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return parse_command_line(static_cast<int>(argv.size()), argv.data());
}

std::string write_file(const std::string& text) {
  std::string path = "/tmp/warmtts-config-test.json";
  std::ofstream(path) << text;
  return path;
}

// Sets an environment variable for one test.
using Env = testing::ScopedEnv;

}  // namespace

BOOST_AUTO_TEST_CASE(defaults) {
  auto cl = parse({"serve"});
  BOOST_TEST(cl.command == "serve");
  BOOST_TEST(cl.config.host == "127.0.0.1");
  BOOST_TEST(cl.config.port == 8000);
  BOOST_TEST(cl.config.models == (std::vector<std::string>{"chatterbox@cuda:0", "higgs@cuda:0"}));
  BOOST_TEST(cl.config.run_retention_s == 1800u);
  BOOST_TEST(cl.config.runsync_retention_s == 60u);
  BOOST_TEST(cl.config.runsync_wait_ms == 90000u);
  BOOST_TEST(cl.config.default_model == "chatterbox");
  BOOST_TEST(parse({"serve", "--models", "higgs@cuda:1"}).config.default_model == "higgs");
  BOOST_TEST(cl.config.chatterbox_sources.find("runpod-cache") == 0u);
}

BOOST_AUTO_TEST_CASE(flags_beat_environment_beats_file) {
  auto file = write_file(R"({"port": 9001, "queue_capacity": 7, "log-level": "debug",
                             "models": ["higgs@cuda:1"], "default_model": "higgs"})");
  Env a("WARMTTS_PORT", "9002");
  Env b("WARMTTS_QUEUE_CAPACITY", "8");
  auto cl = parse({"serve", "--config", file, "--port", "9003"});
  BOOST_TEST(cl.config.port == 9003);          // flag
  BOOST_TEST(cl.config.queue_capacity == 8u);  // environment
  BOOST_TEST(cl.config.log_level == "debug");  // file
  BOOST_TEST(cl.config.models == std::vector<std::string>{"higgs@cuda:1"});
  BOOST_TEST(cl.config.default_model == "higgs");
}

BOOST_AUTO_TEST_CASE(config_file_from_environment_and_options_after_subcommand) {
  auto file = write_file(R"({"max_text_chars": 123})");
  Env a("WARMTTS_CONFIG", file);
  Env b("WARMTTS_MODELS", "chatterbox@cpu,higgs@cpu");
  auto cl = parse({"serve", "--http-threads", "3"});
  BOOST_TEST(cl.config.max_text_chars == 123u);
  BOOST_TEST(cl.config.http_threads == 3);
  BOOST_TEST(cl.config.models == (std::vector<std::string>{"chatterbox@cpu", "higgs@cpu"}));
  BOOST_TEST(cl.config.model_names() == (std::vector<std::string>{"chatterbox", "higgs"}));
}

BOOST_AUTO_TEST_CASE(runpod_endpoint_turns_on_json_logs) {
  BOOST_TEST(!parse({"serve"}).config.log_json);
  Env a("RUNPOD_ENDPOINT_ID", "abc");
  BOOST_TEST(parse({"serve"}).config.log_json);
}

BOOST_AUTO_TEST_CASE(bad_values_are_usage_errors_that_say_why) {
  auto expect = [](std::vector<std::string> args, const std::string& fragment) {
    try {
      parse(args);
      BOOST_ERROR("accepted a bad command line: " + fragment);
    } catch (const UsageError& e) {
      BOOST_CHECK_MESSAGE(std::string(e.what()).find(fragment) != std::string::npos,
                          std::string(e.what()) + " lacks " + fragment);
    }
  };
  expect({"serve", "--models", "bark@cuda:0"}, "unknown model \"bark\"");
  expect({"serve", "--models", "chatterbox"}, "MODEL@DEVICE");
  expect({"serve", "--models", "higgs@cpu", "--default-model", "chatterbox"}, "not one of the configured");
  expect({"serve", "--log-level", "loud"}, "loud");
  expect({"serve", "--port", "http"}, "http");
  expect({"serve", "--config", write_file(R"({"prot": 1})")}, "\"prot\" is not an option");
  expect({"serve", "--config", write_file("not json")}, "not a JSON object");
  expect({"serve", "--config", "/nonexistent.json"}, "cannot read");
  expect({"serv"}, "serv");  // no command is RunPod's entry point; a wrong one is an error
  expect({"serve", "--runpod-concurrency", "bark=2"}, "MODEL=N for a configured model");
  expect({"serve", "--runpod-concurrency", "chatterbox=0"}, "from 1 to 1024");
  expect({"serve", "--higgs-sources", "s3:bucket"}, "unknown kind");
  expect({"volume", "verify", "--model", "bark"}, "unknown model");
}
