#include "orchestrator/worker.hpp"

#include <csignal>
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

int serve(const Config& config, const EngineCatalog& engines, clock_type::time_point start) {
  caf::actor_system_config cfg;
  register_message_types(cfg);
  // One shared job queue with a condition variable instead of work stealing: idle stealing
  // workers poll in 50 us sleeps, which adds latency to every actor hop of a job and burns CPU
  // (bench/http_overhead: 1-client /runsync p50 0.50 -> 0.35 ms).
  cfg.set("scheduler.policy", caf::atom("sharing"));
  caf::actor_system sys{cfg};

  auto registry = spawn_job_registry(sys, {});
  dispatcher_options dopt;
  dopt.replicas = config.models;
  dopt.queue_capacity = config.queue_capacity;
  dopt.queue_timeout = std::chrono::seconds(config.queue_timeout_s);
  dopt.registry = registry;
  dopt.process_start = start;
  auto dispatcher = spawn_dispatcher(sys, dopt);

  // Every replica starts loading now, before the HTTP front opens.
  std::vector<model_actor> replicas;
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
    auto replica = spawn_model_actor(sys, std::move(mopt));
    caf::anon_send(dispatcher, atoms::attach::value, name, replica);
    replicas.push_back(replica);
  }

  ActorClient actors(sys, dispatcher, registry);
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
    for (auto& r : replicas) caf::anon_send_exit(r, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(dispatcher, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(registry, caf::exit_reason::user_shutdown);
    return 1;
  }
  // Tests and scripts read the port from this line (with --port 0 it is chosen by the OS).
  spdlog::info("warmtts listening on http://{}:{}", config.host, server->port());

  // SIGTERM/SIGINT: stop taking jobs, let queued and running ones finish (answering their
  // waiters), then stop. A second signal stops at once.
  net::signal_set signals(io, SIGTERM, SIGINT);
  bool draining = false;
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
        signals.async_wait(on_signal);
      };
  signals.async_wait(on_signal);

  std::vector<std::thread> threads;
  for (int i = 1; i < config.http_threads; ++i) threads.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : threads) t.join();

  for (auto& r : replicas) caf::anon_send_exit(r, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(dispatcher, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(registry, caf::exit_reason::user_shutdown);
  spdlog::info("stopped");
  return 0;
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
  return serve(cl.config, engines, start);
}

}  // namespace warmtts
