#include "orchestrator/worker.hpp"

#include <csignal>
#include <optional>
#include <cstdio>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/dispatcher.hpp"
#include "actors/job_registry.hpp"
#include "actors/message_types.hpp"
#include "actors/model_actor.hpp"
#include "monitoring/logging.hpp"
#include "orchestrator/actor_client.hpp"
#include "orchestrator/cli.hpp"
#include "orchestrator/http_api.hpp"
#include "orchestrator/http_server.hpp"
#include "orchestrator/local_test_job.hpp"
#include "orchestrator/queue_worker.hpp"
#include "orchestrator/models_command.hpp"
#include "orchestrator/volume_command.hpp"

namespace warmtts {
namespace {

namespace net = boost::asio;
using clock_type = std::chrono::steady_clock;

// Closes the HTTP front once every reply in flight has been written (at most `limit`).
void stop_when_replies_written(net::io_context& io, HttpServer& server,
                               std::shared_ptr<net::steady_timer> timer,
                               clock_type::time_point deadline) {
  if (server.pending_replies() == 0 || clock_type::now() > deadline) {
    io.stop();
    return;
  }
  timer->expires_after(std::chrono::milliseconds(20));
  timer->async_wait([&io, &server, timer, deadline](boost::system::error_code) {
    stop_when_replies_written(io, server, timer, deadline);
  });
}

// The actor side of every mode: the job registry, the dispatcher and one model actor per
// configured replica, which starts loading at once. Stops them when it goes.
struct WorkerActors {
  caf::actor_system_config cfg;
  std::optional<caf::actor_system> sys;
  job_registry_actor registry;
  dispatcher_actor dispatcher;
  std::vector<model_actor> replicas;

  WorkerActors(const Config& config, const EngineCatalog& engines, clock_type::time_point start) {
    register_message_types(cfg);
    // One shared job queue with a condition variable instead of work stealing: idle stealing
    // workers poll in 50 us sleeps, which adds latency to every actor hop of a job and burns
    // CPU (bench/http_overhead: 1-client /runsync p50 0.50 -> 0.35 ms).
    cfg.set("scheduler.policy", caf::atom("sharing"));
    sys.emplace(cfg);

    registry = spawn_job_registry(*sys, {});
    dispatcher_options dopt;
    dopt.replicas = config.models;
    dopt.queue_capacity = config.queue_capacity;
    dopt.queue_timeout = std::chrono::seconds(config.queue_timeout_s);
    dopt.registry = registry;
    dopt.process_start = start;
    dispatcher = spawn_dispatcher(*sys, dopt);

    for (const auto& name : config.models) {
      auto at = name.find('@');
      model_actor_options mopt;
      mopt.model = name.substr(0, at);
      mopt.device = name.substr(at + 1);
      mopt.engines = &engines;
      mopt.listener = dispatcher;
      mopt.audio_sink = registry;
      mopt.volume = config.resolve_options();
      mopt.voices.library_dir = config.voice_library;
      mopt.voices.max_bytes = config.max_voice_bytes;
      auto replica = spawn_model_actor(*sys, std::move(mopt));
      caf::anon_send(dispatcher, atoms::attach::value, name, replica);
      replicas.push_back(replica);
    }
  }

  ~WorkerActors() {
    for (auto& r : replicas) caf::anon_send_exit(r, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(dispatcher, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(registry, caf::exit_reason::user_shutdown);
  }
};

// The HTTP API, and with RUNPOD_WEBHOOK_GET_JOB set the RunPod queue worker beside it (the API
// then still serves /health, /ping and /metrics, e.g. to Prometheus).
int serve(const Config& config, const EngineCatalog& engines, clock_type::time_point start) {
  WorkerActors wa(config, engines, start);
  ActorClient actors(*wa.sys, wa.dispatcher, wa.registry);
  HttpApi api(config, actors);
  net::io_context io;
  std::unique_ptr<HttpServer> server;
  try {
    server = std::make_unique<HttpServer>(
        io, net::ip::tcp::endpoint(net::ip::make_address(config.host), config.port),
        HttpLimits{config.max_body_bytes, config.max_header_bytes},
        [&api](HttpRequest&& req, HttpReply reply) { api.handle(std::move(req), std::move(reply)); });
  } catch (const std::exception& e) {
    spdlog::critical("cannot listen on {}:{}: {}", config.host, config.port, e.what());
    return 1;
  }
  // Tests and scripts read the port from this line (with --port 0 it is chosen by the OS).
  spdlog::info("warmtts listening on http://{}:{}", config.host, server->port());

  // SIGTERM/SIGINT: stop taking jobs, let queued and running ones finish (answering their
  // waiters, posting RunPod results), then stop. A second signal stops at once.
  int exit_code = 0;
  bool draining = false;
  auto drain_and_stop = [&] {
    api.stop_taking_jobs();
    actors.drain(std::chrono::seconds(config.shutdown_grace_s), [&](Answer<bool> a) {
      net::post(io, [&, drained = a.value.value_or(false)] {
        if (!drained)
          spdlog::warn("jobs still running after --shutdown-grace {} s; stopping anyway",
                       config.shutdown_grace_s);
        server->stop_accepting();
        stop_when_replies_written(io, *server, std::make_shared<net::steady_timer>(io),
                                  clock_type::now() + std::chrono::seconds(5));
      });
    });
  };

  std::unique_ptr<QueueWorker> queue;
  if (config.runpod.queue_mode()) {
    queue = std::make_unique<QueueWorker>(config, actors);
    // It ends after a shutdown, a failed start-up or --runpod-refresh-worker: the rest follows.
    queue->start([&](int code) {
      net::post(io, [&, code] {
        exit_code = code;
        draining = true;
        drain_and_stop();
      });
    });
  }

  net::signal_set signals(io, SIGTERM, SIGINT);
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int sig) {
        if (ec) return;
        if (draining) {
          spdlog::warn("second signal: stopping without waiting for jobs");
          io.stop();
          return;
        }
        draining = true;
        spdlog::info("signal {}: taking no new jobs, finishing the ones in flight", sig);
        if (queue)
          queue->shutdown();  // its end drains the rest
        else
          drain_and_stop();
        signals.async_wait(on_signal);
      };
  signals.async_wait(on_signal);

  std::vector<std::thread> threads;
  for (int i = 1; i < config.http_threads; ++i) threads.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : threads) t.join();

  queue.reset();
  spdlog::info("stopped");
  return exit_code;
}

// RunPod's local test: one job, no HTTP.
int run_test_job(const Config& config, const EngineCatalog& engines, clock_type::time_point start,
                 const std::string& job_text) {
  WorkerActors wa(config, engines, start);
  ActorClient actors(*wa.sys, wa.dispatcher, wa.registry);
  return run_local_test_job(config, actors, job_text);
}

}  // namespace

int run_worker(int argc, char** argv, const EngineCatalog& engines) {
  const auto start = clock_type::now();
  CommandLine cl;
  try {
    cl = parse_command_line(argc, argv);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "warmtts: %s\nRun with --help for more information.\n", e.what());
    return 2;
  }
  logging::setup(cl.config.log_level, cl.config.log_json);
  if (!cl.config.config_file.empty())
    spdlog::info("configuration file: {}", cl.config.config_file);
  if (cl.command == "models fetch")
    return run_models_fetch(cl.fetch_model, cl.fetch_to, cl.fetch_revision);
  if (cl.command == "volume verify")
    return run_volume_verify(cl.config, cl.verify_hash, cl.verify_model);
  // RunPod's mode switch (runpod-protocol.md §1, §8): --test_input runs one job locally;
  // otherwise RUNPOD_WEBHOOK_GET_JOB makes a queue worker; without it, ./test_input.json is run
  // when no command is given, and `serve` runs the HTTP API.
  const bool queue = cl.config.runpod.queue_mode() && cl.config.runpod.realtime_port == 0;
  if (cl.test_input_given || (cl.command.empty() && !queue)) {
    auto job = local_test_job_text(cl.test_input_given ? std::optional(cl.test_input)
                                                       : std::nullopt);
    if (!job) return 1;
    return run_test_job(cl.config, engines, start, *job);
  }
  return serve(cl.config, engines, start);
}

}  // namespace warmtts
