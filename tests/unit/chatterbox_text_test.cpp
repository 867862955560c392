// Chatterbox's English text front end: punc_norm (specs/chatterbox.md §3.1) and EnTokenizer.encode.
#define BOOST_TEST_MODULE chatterbox_text
#include <boost/test/unit_test.hpp>

#include <fstream>

#include <nlohmann/json.hpp>

#include "sidecars/chatterbox/text_frontend.hpp"

using warmtts::chatterbox::encode_english;
using warmtts::chatterbox::normalize_punctuation;

BOOST_AUTO_TEST_CASE(punctuation_is_normalised_as_the_reference_does) {
  BOOST_TEST(normalize_punctuation("") == "You need to add some text for me to talk.");
  BOOST_TEST(normalize_punctuation("hello world") == "Hello world.");
  BOOST_TEST(normalize_punctuation("Hello   there \n friend!") == "Hello there friend!");
  // Whitespace collapses before the replacements, so "... " leaves two spaces, as in Python.
  BOOST_TEST(normalize_punctuation("Wait... what") == "Wait,  what.");
  BOOST_TEST(normalize_punctuation("Wait\u2026what") == "Wait, what.");
  BOOST_TEST(normalize_punctuation("Note: this; that") == "Note, this,  that.");
  BOOST_TEST(normalize_punctuation("A - B") == "A, B.");
  BOOST_TEST(normalize_punctuation("em\u2014dash en\u2013dash") == "Em-dash en-dash.");
  BOOST_TEST(normalize_punctuation("\u201cquoted\u201d and \u2018single\u2019") == "\"quoted\" and 'single'.");
  BOOST_TEST(normalize_punctuation("Spaced , comma") == "Spaced, comma.");
  BOOST_TEST(normalize_punctuation("Ends with dash -") == "Ends with dash -");
  BOOST_TEST(normalize_punctuation("Question?") == "Question?");
  BOOST_TEST(normalize_punctuation("trailing   ") == "Trailing.");
  BOOST_TEST(normalize_punctuation("   ") == ".");
  BOOST_TEST(normalize_punctuation("\u00e9t\u00e9") == "\u00c9t\u00e9.");  // é -> É
  BOOST_TEST(normalize_punctuation("no\u00a0break\u3000space") == "No break space.");
}

BOOST_AUTO_TEST_CASE(english_encoding_matches_entokenizer_on_the_corpus) {
  const std::string dir = std::string(WARMTTS_FIXTURES) + "/tokenizers/";
  auto tokenizer = warmtts::runtime::BpeTokenizer::load(dir + "english.json");
  std::ifstream in(dir + "corpus.json");
  auto corpus = nlohmann::json::parse(in);
  int wrong = 0;
  for (size_t i = 0; i < corpus["texts"].size(); ++i)
    wrong += encode_english(tokenizer, corpus["texts"][i].get<std::string>()) !=
             corpus["english_ids"][i].get<std::vector<int64_t>>();
  BOOST_TEST(wrong == 0);
}
