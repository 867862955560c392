#define BOOST_TEST_MODULE job_table
#include <boost/test/unit_test.hpp>

#include "actors/job_table.hpp"

using namespace warmtts;
using namespace std::chrono_literals;

namespace {
const auto t0 = JobTable::clock::now();
}

BOOST_AUTO_TEST_CASE(queued_running_completed_with_times) {
  JobTable t;
  BOOST_TEST((t.create("a", "chatterbox", 60s, t0)));
  BOOST_TEST(!t.create("a", "chatterbox", 60s, t0));  // ids are unique
  BOOST_TEST((t.view("a", false, t0 + 5ms).status == "IN_QUEUE"));
  BOOST_TEST((t.start("a", t0 + 100ms)));
  BOOST_TEST(!t.start("a", t0 + 150ms));  // only from IN_QUEUE
  BOOST_TEST((t.view("a", false, t0 + 200ms).status == "IN_PROGRESS"));
  BOOST_TEST((t.finish("a", "COMPLETED", R"({"x":1})", "", t0 + 350ms)));
  auto v = t.view("a", false, t0 + 400ms);
  BOOST_TEST(v.found);
  BOOST_TEST(v.status == "COMPLETED");
  BOOST_TEST(v.delay_ms == 100);
  BOOST_TEST(v.execution_ms == 250);
  BOOST_TEST(v.output_json == R"({"x":1})");
  BOOST_TEST(t.counts().completed == 1);
}

BOOST_AUTO_TEST_CASE(final_states_never_change) {
  JobTable t;
  t.create("a", "m", 60s, t0);
  t.start("a", t0);
  BOOST_TEST((t.finish("a", "CANCELLED", "", "", t0 + 1ms)));
  // The engine's late answer for a cancelled job is ignored.
  BOOST_TEST((!t.finish("a", "COMPLETED", "{}", "", t0 + 2ms)));
  BOOST_TEST(t.view("a", false, t0).status == "CANCELLED");
  BOOST_TEST(!t.add_stream_output("a", "{}"));
  BOOST_TEST(!t.start("a", t0));
}

BOOST_AUTO_TEST_CASE(only_final_states_finish_and_unknown_ids_are_rejected) {
  JobTable t;
  t.create("a", "m", 60s, t0);
  BOOST_TEST(!t.finish("a", "IN_PROGRESS", "", "", t0));
  BOOST_TEST(!t.finish("zzz", "FAILED", "", "x", t0));
  BOOST_TEST(!t.start("zzz", t0));
  BOOST_TEST(!t.view("zzz", false, t0).found);
  // A queued job may fail or be cancelled without starting.
  BOOST_TEST((t.finish("a", "FAILED", "", "model is FAILED", t0 + 3ms)));
  auto v = t.view("a", false, t0);
  BOOST_TEST(v.error == "model is FAILED");
  BOOST_TEST(v.delay_ms == 3);
  BOOST_TEST(v.execution_ms == 0);
}

BOOST_AUTO_TEST_CASE(stream_outputs_are_delivered_once) {
  JobTable t;
  t.create("a", "m", 60s, t0);
  t.start("a", t0);
  t.add_stream_output("a", "1");
  t.add_stream_output("a", "2");
  BOOST_TEST(t.view("a", false, t0).stream.empty());  // status does not consume
  auto first = t.view("a", true, t0).stream;
  BOOST_TEST(first == (std::vector<std::string>{"1", "2"}));
  t.add_stream_output("a", "3");
  BOOST_TEST(t.view("a", true, t0).stream == std::vector<std::string>{"3"});
  BOOST_TEST(t.view("a", true, t0).stream.empty());
}

BOOST_AUTO_TEST_CASE(retention_purges_only_final_jobs_after_their_time) {
  JobTable t;
  t.create("short", "m", 1s, t0);
  t.create("long", "m", 30min, t0);
  t.create("running", "m", 1s, t0);
  t.start("running", t0);
  t.finish("short", "COMPLETED", "{}", "", t0);
  t.finish("long", "TIMED_OUT", "", "slow", t0);
  BOOST_TEST((t.purge(t0 + 500ms) == 0u));
  BOOST_TEST((t.purge(t0 + 2s) == 1u));
  BOOST_TEST(!t.find("short"));
  BOOST_TEST(t.find("long"));
  BOOST_TEST(t.find("running"));
  BOOST_TEST(t.purge(t0 + 31min) == 1u);
  auto c = t.counts();
  BOOST_TEST(c.completed == 1);
  BOOST_TEST(c.failed == 1);  // TIMED_OUT counts as failed
  BOOST_TEST(c.in_progress == 1);
  BOOST_TEST(c.in_queue == 0);
}

BOOST_AUTO_TEST_CASE(a_job_past_its_retention_is_not_found_before_the_purge) {
  JobTable t;
  t.create("a", "m", 1s, t0);
  t.finish("a", "COMPLETED", "{}", "", t0);
  BOOST_TEST(t.view("a", false, t0 + 999ms).found);
  BOOST_TEST(!t.view("a", false, t0 + 1s).found);
  BOOST_TEST(!t.find("a"));
}
