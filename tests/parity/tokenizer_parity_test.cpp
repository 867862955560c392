// Our tokenizer against the `tokenizers` library on 601 strings (tools/parity/tokenizers_tiny.py).
#define BOOST_TEST_MODULE tokenizer_parity
#include <boost/test/unit_test.hpp>

#include <fstream>

#include <nlohmann/json.hpp>

#include "sidecars/runtime/bpe_tokenizer.hpp"

using namespace warmtts::runtime;

namespace {

const std::string dir = std::string(WARMTTS_FIXTURES) + "/tokenizers/";

nlohmann::json corpus() {
  std::ifstream in(dir + "corpus.json");
  return nlohmann::json::parse(in);
}

std::string replace_spaces(std::string s) {
  for (size_t p = s.find(' '); p != std::string::npos; p = s.find(' ', p + 7)) s.replace(p, 1, "[SPACE]");
  return s;
}

// Checks every string; prints the first few that differ.
void check_all(const BpeTokenizer& t, const nlohmann::json& texts, const nlohmann::json& expected,
               bool special, bool spaces_to_token) {
  int wrong = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    std::string text = texts[i].get<std::string>();
    auto ids = t.encode(spaces_to_token ? replace_spaces(text) : text, special);
    auto want = expected[i].get<std::vector<int64_t>>();
    if (ids != want && ++wrong <= 5)
      BOOST_ERROR("string " << i << " " << nlohmann::json(text).dump() << ": got "
                            << nlohmann::json(ids).dump() << ", want " << nlohmann::json(want).dump());
  }
  BOOST_TEST(wrong == 0, wrong << " of " << texts.size() << " strings differ");
  BOOST_TEST(texts.size() >= 500u);
}

}  // namespace

BOOST_AUTO_TEST_CASE(english_layout_matches_tokenizers) {
  auto t = BpeTokenizer::load(dir + "english.json");
  auto c = corpus();
  check_all(t, c["texts"], c["english_ids"], true, true);
  BOOST_TEST(t.token_to_id("[SPACE]") == 2);
  BOOST_TEST(t.token_to_id("[START]") == 255);
}

BOOST_AUTO_TEST_CASE(llama3_layout_matches_tokenizers) {
  auto t = BpeTokenizer::load(dir + "llama3.json");
  auto c = corpus();
  check_all(t, c["texts"], c["llama3_ids"], true, false);
  check_all(t, c["texts"], c["llama3_ids_no_special"], false, false);
}

BOOST_AUTO_TEST_CASE(unsupported_features_are_refused_at_load) {
  BOOST_CHECK_THROW(BpeTokenizer::from_json_text("{"), std::runtime_error);
  BOOST_CHECK_THROW(BpeTokenizer::from_json_text(
                        R"({"normalizer": {"type": "NFKC"}, "model": {"type": "BPE"}})"),
                    std::runtime_error);
  BOOST_CHECK_THROW(BpeTokenizer::from_json_text(
                        R"({"normalizer": null, "model": {"type": "WordPiece"}})"),
                    std::runtime_error);
}
