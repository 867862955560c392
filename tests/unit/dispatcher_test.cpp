// The dispatcher, job registry and model actors together in a real actor system, with the tone
// test engine (CAF's test DSL cannot run inside Boost.Test, see DEVELOPERS notes).
#define BOOST_TEST_MODULE dispatcher
#include <boost/test/unit_test.hpp>

#include <cstdlib>

#include "tests/support/scoped_env.hpp"
#include <thread>

#include <caf/all.hpp>

#include "actors/dispatcher.hpp"
#include "actors/job_registry.hpp"
#include "actors/message_types.hpp"
#include "actors/model_actor.hpp"
#include "tests/support/checkpoint_files.hpp"
#include "tests/support/tone_test_engine.hpp"

using namespace warmtts;
using namespace std::chrono_literals;

namespace {

struct System {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  EngineCatalog engines;
  job_registry_actor registry;
  dispatcher_actor dispatcher;
  std::vector<model_actor> replicas;

  // Replicas "model@device"; engines read WARMTTS_TONE_* when they are created.
  System(std::vector<std::string> names, uint32_t capacity = 8,
         std::chrono::milliseconds queue_timeout = 10s, bool loads_weights = false,
         volume::ResolveOptions volume_options = {})
      : engines(testing::tone_test_engines(loads_weights)) {
    register_message_types(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
    registry = spawn_job_registry(*sys, {});
    dispatcher_options o;
    o.replicas = names;
    o.queue_capacity = capacity;
    o.queue_timeout = queue_timeout;
    o.registry = registry;
    dispatcher = spawn_dispatcher(*sys, o);
    for (const auto& n : names) {
      model_actor_options m;
      m.model = n.substr(0, n.find('@'));
      m.device = n.substr(n.find('@') + 1);
      m.engines = &engines;
      m.listener = dispatcher;
      m.audio_sink = registry;
      m.volume = volume_options;
      replicas.push_back(spawn_model_actor(*sys, m));
      caf::anon_send(dispatcher, atoms::attach::value, n, replicas.back());
    }
  }
  ~System() {
    for (auto& r : replicas) caf::anon_send_exit(r, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(dispatcher, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(registry, caf::exit_reason::user_shutdown);
  }

  admission submit(const std::string& id, const std::string& model, const std::string& text,
                   uint32_t execution_timeout_ms = 60000) {
    job_spec job;
    job.id = id;
    job.params.model = model;
    job.params.text = text;
    job.params.format = "wav";
    job.params.sample_rate = 24000;
    job.execution_timeout_ms = execution_timeout_ms;
    job.retention_ms = 60000;
    admission out;
    caf::scoped_actor self{*sys};
    self->request(dispatcher, 5s, atoms::submit::value, job)
        .receive([&](admission a) { out = a; },
                 [&](caf::error& e) { BOOST_FAIL("submit: " + sys->render(e)); });
    return out;
  }

  job_view wait(const std::string& id, uint32_t ms = 10000) {
    job_view out;
    caf::scoped_actor self{*sys};
    self->request(registry, std::chrono::milliseconds(ms + 5000), atoms::wait::value, id, ms)
        .receive([&](job_view v) { out = v; },
                 [&](caf::error& e) { BOOST_FAIL("wait: " + sys->render(e)); });
    return out;
  }

  bool cancel(const std::string& id) {
    bool out = false;
    caf::scoped_actor self{*sys};
    self->request(dispatcher, 5s, atoms::cancel::value, id)
        .receive([&](bool b) { out = b; }, [&](caf::error& e) { BOOST_FAIL(sys->render(e)); });
    return out;
  }

  std::vector<model_status> models() {
    std::vector<model_status> out;
    caf::scoped_actor self{*sys};
    self->request(dispatcher, 5s, atoms::models::value)
        .receive([&](std::vector<model_status> m) { out = m; },
                 [&](caf::error& e) { BOOST_FAIL(sys->render(e)); });
    return out;
  }

  void wait_state(const std::string& state, std::chrono::milliseconds limit = 5s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      auto ms = models();
      if (std::all_of(ms.begin(), ms.end(), [&](auto& m) { return m.state == state; })) return;
      std::this_thread::sleep_for(5ms);
    }
    BOOST_FAIL("models did not reach " + state);
  }
};

using Env = testing::ScopedEnv;

}  // namespace

BOOST_AUTO_TEST_CASE(ready_model_runs_the_job) {
  System s({"chatterbox@cpu"});
  s.wait_state("READY");
  auto a = s.submit("j1", "chatterbox", "hello");
  BOOST_TEST(a.accepted);
  BOOST_TEST(a.status == "IN_QUEUE");
  auto v = s.wait("j1");
  BOOST_TEST(v.status == "COMPLETED");
  BOOST_TEST(v.output_json.find("\"audio_base64\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(loading_model_queues_the_job_until_ready) {
  Env load("WARMTTS_TONE_LOAD_MS", "400");
  System s({"chatterbox@cpu"});
  auto a = s.submit("j1", "chatterbox", "hello");
  BOOST_TEST(a.accepted);
  BOOST_TEST(s.models()[0].state != "READY");
  auto v = s.wait("j1");
  BOOST_TEST(v.status == "COMPLETED");
  BOOST_TEST(v.delay_ms >= 200);  // it waited for the load, it did not trigger one
  auto m = s.models()[0];
  BOOST_TEST(m.state == "READY");
  for (auto phase : {"resolve", "verify", "read", "to_device", "warmup"})
    BOOST_TEST(m.load_seconds.count(phase) == 1u);
}

BOOST_AUTO_TEST_CASE(failed_model_fails_the_job_at_once_with_its_reason) {
  Env fail("WARMTTS_TONE_FAIL_LOAD", "higgs");
  System s({"chatterbox@cpu", "higgs@cpu"});
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (s.models()[1].state != "FAILED" && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  auto a = s.submit("j1", "higgs", "hello");
  BOOST_TEST(!a.accepted);
  BOOST_TEST(a.status == "FAILED");
  BOOST_TEST(a.error.find("WARMTTS_TONE_FAIL_LOAD") != std::string::npos);
  BOOST_TEST(a.error.find("during read") != std::string::npos);
  auto v = s.wait("j1", 0);
  BOOST_TEST(v.status == "FAILED");
  BOOST_TEST(v.error == a.error);
  // The other model is unaffected.
  s.submit("j2", "chatterbox", "hello");
  BOOST_TEST(s.wait("j2").status == "COMPLETED");
}

BOOST_AUTO_TEST_CASE(queued_jobs_fail_when_their_model_fails_while_loading) {
  Env load("WARMTTS_TONE_LOAD_MS", "300");
  Env fail("WARMTTS_TONE_FAIL_LOAD", "chatterbox");
  System s({"chatterbox@cpu"});
  BOOST_TEST(s.submit("j1", "chatterbox", "hello").accepted);
  auto v = s.wait("j1");
  BOOST_TEST(v.status == "FAILED");
  BOOST_TEST(v.error.find("cannot serve jobs") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(unknown_model_is_rejected) {
  System s({"chatterbox@cpu"});
  auto a = s.submit("j1", "higgs", "hello");
  BOOST_TEST(!a.accepted);
  BOOST_TEST(a.http_status == 400);
  BOOST_TEST(a.error.find("not served") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(full_queue_is_a_clear_rejection) {
  System s({"chatterbox@cpu"}, 1);
  s.wait_state("READY");
  BOOST_TEST(s.submit("run", "chatterbox", "long job [sleep:800]").accepted);
  std::this_thread::sleep_for(50ms);  // "run" is now running, the queue is empty
  BOOST_TEST(s.submit("queued", "chatterbox", "x").accepted);
  auto a = s.submit("rejected", "chatterbox", "x");
  BOOST_TEST(!a.accepted);
  BOOST_TEST(a.http_status == 429);
  BOOST_TEST(a.error.find("full") != std::string::npos);
  BOOST_TEST(s.wait("run").status == "COMPLETED");
  BOOST_TEST(s.wait("queued").status == "COMPLETED");
}

BOOST_AUTO_TEST_CASE(cancel_queued_and_running_jobs) {
  System s({"chatterbox@cpu"});
  s.wait_state("READY");
  s.submit("run", "chatterbox", "long job [sleep:5000]");
  s.submit("queued", "chatterbox", "x");
  std::this_thread::sleep_for(50ms);
  BOOST_TEST(s.cancel("queued"));
  BOOST_TEST(s.wait("queued", 0).status == "CANCELLED");
  auto t0 = std::chrono::steady_clock::now();
  BOOST_TEST(s.cancel("run"));
  BOOST_TEST(s.wait("run", 0).status == "CANCELLED");
  BOOST_TEST(!s.cancel("run"));      // already final
  BOOST_TEST(!s.cancel("unknown"));
  // The engine stops at its next step, so the replica takes the next job quickly.
  s.submit("next", "chatterbox", "x");
  BOOST_TEST(s.wait("next").status == "COMPLETED");
  BOOST_TEST((std::chrono::steady_clock::now() - t0 < 3500ms));  // the cancelled job needed 5 s
}

BOOST_AUTO_TEST_CASE(execution_timeout_times_the_job_out) {
  System s({"chatterbox@cpu"});
  s.wait_state("READY");
  s.submit("slow", "chatterbox", "long job [sleep:5000]", 200);
  auto v = s.wait("slow");
  BOOST_TEST(v.status == "TIMED_OUT");
  BOOST_TEST(v.error.find("executionTimeout") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(queue_timeout_fails_jobs_that_wait_too_long) {
  System s({"chatterbox@cpu"}, 8, 300ms);
  s.wait_state("READY");
  s.submit("run", "chatterbox", "long job [sleep:1000]");
  s.submit("waits", "chatterbox", "x");
  auto v = s.wait("waits");
  BOOST_TEST(v.status == "FAILED");
  BOOST_TEST(v.error.find("in the queue") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(drain_waits_for_jobs_and_refuses_new_ones) {
  System s({"chatterbox@cpu"});
  s.wait_state("READY");
  s.submit("run", "chatterbox", "job [sleep:300]");
  caf::scoped_actor self{*s.sys};
  bool drained = false;
  auto t0 = std::chrono::steady_clock::now();
  auto rh = self->request(s.dispatcher, 10s, atoms::drain::value);
  auto a = s.submit("late", "chatterbox", "x");
  BOOST_TEST(!a.accepted);
  BOOST_TEST(a.http_status == 503);
  std::move(rh).receive([&](bool b) { drained = b; }, [&](caf::error&) {});
  BOOST_TEST(drained);
  BOOST_TEST((std::chrono::steady_clock::now() - t0 >= 200ms));
  BOOST_TEST(s.wait("run", 0).status == "COMPLETED");
  s.wait_state("DRAINING");
}

namespace {

// A tiny Chatterbox repository in a temporary folder and the options that point at it.
struct TinyChatterbox {
  testing::TempDir tmp;
  volume::ResolveOptions options;
  TinyChatterbox() {
    auto dims = (tmp.path / "dims.json").string();
    testing::write_text(dims, testing::tiny_chatterbox_dims().dump());
    testing::write_tiny_repository("chatterbox", tmp.path / "cb", dims);
    options.sources["chatterbox"] = volume::parse_sources("dir:" + (tmp.path / "cb").string());
    options.chatterbox_dims = dims;
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(replica_resolves_and_verifies_its_weights_before_loading) {
  TinyChatterbox cb;
  System s({"chatterbox@cpu"}, 8, 10s, true, cb.options);
  s.wait_state("READY");
  auto m = s.models()[0];
  for (auto phase : {"resolve", "verify", "read", "to_device", "warmup"})
    BOOST_TEST(m.load_seconds.count(phase) == 1u);
  s.submit("j", "chatterbox", "hello");
  BOOST_TEST(s.wait("j").status == "COMPLETED");
}

BOOST_AUTO_TEST_CASE(replica_with_broken_weights_fails_with_the_files_reason) {
  TinyChatterbox cb;
  std::filesystem::resize_file(cb.tmp.path / "cb" / "s3gen.safetensors", 100);
  System s({"chatterbox@cpu"}, 8, 10s, true, cb.options);
  s.wait_state("FAILED");
  auto m = s.models()[0];
  BOOST_TEST(m.reason.find("s3gen.safetensors") != std::string::npos, m.reason);
  BOOST_TEST(m.load_seconds.count("verify") == 1u);
  BOOST_TEST(m.load_seconds.count("read") == 0u);  // nothing was read
}
