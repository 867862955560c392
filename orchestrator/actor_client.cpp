#include "orchestrator/actor_client.hpp"

#include <caf/all.hpp>

namespace warmtts {
namespace {

// Spawns an actor that sends one request to `dest` and passes the answer on. The actor lives
// exactly as long as the request is pending.
template <class T, class Handle, class Timeout, class... Args>
void ask(caf::actor_system& sys, const Handle& dest, Timeout timeout,
         AnswerCallback<T> done, Args... args) {
  sys.spawn([=](caf::event_based_actor* self) {
    self->request(dest, timeout, args...)
        .then([done](T& value) { done(Answer<T>{std::move(value), {}}); },
              [done, self](caf::error& err) {
                done(Answer<T>{std::nullopt, self->system().render(err)});
              });
  });
}

constexpr auto ask_timeout = std::chrono::seconds(30);

}  // namespace

ActorClient::ActorClient(caf::actor_system& sys, dispatcher_actor dispatcher,
                         job_registry_actor registry)
    : sys_(sys), dispatcher_(std::move(dispatcher)), registry_(std::move(registry)) {}

void ActorClient::submit(job_spec job, AnswerCallback<admission> done) {
  ask<admission>(sys_, dispatcher_, ask_timeout, std::move(done), atoms::submit::value,
                 std::move(job));
}

void ActorClient::status(const std::string& id, AnswerCallback<job_view> done) {
  ask<job_view>(sys_, registry_, ask_timeout, std::move(done), atoms::status::value, id);
}

void ActorClient::wait(const std::string& id, std::chrono::milliseconds wait,
                       AnswerCallback<job_view> done) {
  ask<job_view>(sys_, registry_, caf::infinite, std::move(done), atoms::wait::value, id,
                static_cast<uint32_t>(wait.count()));
}

void ActorClient::stream(const std::string& id, AnswerCallback<job_view> done) {
  ask<job_view>(sys_, registry_, ask_timeout, std::move(done), atoms::stream::value, id);
}

void ActorClient::follow_stream(const std::string& id, std::chrono::milliseconds wait,
                                AnswerCallback<job_view> done) {
  ask<job_view>(sys_, registry_, caf::infinite, std::move(done), atoms::stream::value, id,
                static_cast<uint32_t>(wait.count()));
}

void ActorClient::cancel(const std::string& id, AnswerCallback<job_view> done) {
  // Cancel first; the dispatcher tells the registry before it answers, so the view that
  // follows already shows CANCELLED.
  auto registry = registry_;
  auto* sys = &sys_;
  ask<bool>(sys_, dispatcher_, ask_timeout,
            AnswerCallback<bool>([sys, registry, id, done](Answer<bool> a) {
              if (!a.value) return done(Answer<job_view>{std::nullopt, a.error});
              ask<job_view>(*sys, registry, ask_timeout, done, atoms::status::value, id);
            }),
            atoms::cancel::value, id);
}

void ActorClient::models(AnswerCallback<std::vector<model_status>> done) {
  ask<std::vector<model_status>>(sys_, dispatcher_, ask_timeout, std::move(done),
                                 atoms::models::value);
}

void ActorClient::health(AnswerCallback<WorkerHealth> done) {
  auto registry = registry_;
  auto* sys = &sys_;
  models([sys, registry, done](Answer<std::vector<model_status>> m) {
    if (!m.value) return done(Answer<WorkerHealth>{std::nullopt, m.error});
    auto models = std::move(*m.value);
    ask<job_counts>(*sys, registry, ask_timeout,
                    AnswerCallback<job_counts>([models, done](Answer<job_counts> c) {
                      if (!c.value) return done(Answer<WorkerHealth>{std::nullopt, c.error});
                      done(Answer<WorkerHealth>{WorkerHealth{*c.value, models}, {}});
                    }),
                    atoms::health::value);
  });
}

void ActorClient::drain(std::chrono::milliseconds grace, AnswerCallback<bool> done) {
  ask<bool>(sys_, dispatcher_, grace,
            AnswerCallback<bool>([done](Answer<bool> a) {
              done(Answer<bool>{a.value.value_or(false), {}});
            }),
            atoms::drain::value);
}

}  // namespace warmtts
