// RUNPOD_* variables and URL templates: the two SDK bugs fixed (every token in every template,
// '?' or '&' as needed) and clear errors for values that cannot be used.
#define BOOST_TEST_MODULE runpod_settings
#include <boost/test/unit_test.hpp>

#include "orchestrator/runpod_settings.hpp"
#include "tests/support/scoped_env.hpp"

using namespace warmtts;

BOOST_AUTO_TEST_CASE(templates_get_both_tokens_and_the_right_query_separator) {
  BOOST_TEST(expand_template("https://a/v2/e/job-take/$ID?gpu=X", "w1", "w1") ==
             "https://a/v2/e/job-take/w1?gpu=X");
  BOOST_TEST(expand_template("https://a/job-done/$RUNPOD_POD_ID/$ID", "w1", "job-9") ==
             "https://a/job-done/w1/job-9");
  BOOST_TEST(expand_template("https://a/job-take/$RUNPOD_POD_ID", "w1", "w1") ==
             "https://a/job-take/w1");
  BOOST_TEST(with_query("https://a/p", "x=1") == "https://a/p?x=1");
  BOOST_TEST(with_query("https://a/p?", "x=1") == "https://a/p?x=1");
  BOOST_TEST(with_query("https://a/p?gpu=X", "x=1") == "https://a/p?gpu=X&x=1");
  BOOST_TEST(with_query("https://a/p?gpu=X&", "x=1") == "https://a/p?gpu=X&x=1");
  BOOST_TEST(replace_take_path("https://a/v2/e/job-take/w?g=1", "/job-stop/") ==
             "https://a/v2/e/job-stop/w?g=1");
  BOOST_TEST(replace_take_path("https://a/v2/e/take/w", "/job-stop/") == "");
  BOOST_TEST(query_escape("a,b c") == "a%2Cb%20c");
}

BOOST_AUTO_TEST_CASE(queue_mode_needs_its_urls_and_numbers_must_be_numbers) {
  {
    warmtts::testing::ScopedEnv e("RUNPOD_WEBHOOK_GET_JOB", "http://h/job-take/$ID");
    RunPodSettings s;
    try {
      read_runpod_environment(s);
      BOOST_FAIL("accepted a queue worker without RUNPOD_WEBHOOK_POST_OUTPUT");
    } catch (const std::invalid_argument& err) {
      BOOST_TEST(std::string(err.what()).find("RUNPOD_WEBHOOK_POST_OUTPUT") != std::string::npos);
    }
  }
  {
    warmtts::testing::ScopedEnv e("RUNPOD_PING_INTERVAL", "10s");
    RunPodSettings s;
    BOOST_CHECK_THROW(read_runpod_environment(s), std::invalid_argument);
  }
  {
    warmtts::testing::ScopedEnv a("RUNPOD_PING_INTERVAL", "250");
    warmtts::testing::ScopedEnv b("RUNPOD_LOG_LEVEL", "warn");
    warmtts::testing::ScopedEnv c("RUNPOD_POD_ID", "pod-7");
    RunPodSettings s;
    read_runpod_environment(s);
    BOOST_TEST(s.ping_interval_ms == 250u);  // milliseconds, not whole seconds
    BOOST_TEST(s.log_level == "warn");
    BOOST_TEST(s.pod_id == "pod-7");
    BOOST_TEST(!s.queue_mode());
  }
}
