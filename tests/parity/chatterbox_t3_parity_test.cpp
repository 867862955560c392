// T3's conditioning encoder against the reference (tools/parity/chatterbox_t3.py).
#define BOOST_TEST_MODULE chatterbox_t3_parity
#include <boost/test/unit_test.hpp>

#include "sidecars/chatterbox/t3.hpp"
#include "sidecars/chatterbox/t3_conditioning.hpp"
#include "tests/support/tensor_compare.hpp"

using namespace warmtts;

BOOST_AUTO_TEST_CASE(conditioning_embeddings_match_for_two_exaggerations) {
  const std::string dir = std::string(WARMTTS_FIXTURES) + "/chatterbox_t3/";
  auto ref = runtime::SafetensorsFile::open(dir + "reference.safetensors");
  auto t3 = runtime::SafetensorsFile::open(dir + "t3_cfg.safetensors");
  auto w = chatterbox::T3ConditioningWeights::load(t3);
  for (double ex : {0.5, 1.0}) {
    auto ours = chatterbox::t3_conditioning(w, ref.tensor("speaker_emb"), ref.tensor("prompt_tokens"), ex);
    std::string name = ex == 0.5 ? "cond_emb_0.5" : "cond_emb_1.0";
    testing::check_close(ours, ref.tensor(name), name, 1e-5);
  }
}

namespace {

// The tiny fixture's backbone (tools/parity/chatterbox_t3.py): Llama_520M with hidden 32.
runtime::LlamaConfig tiny_config() {
  runtime::LlamaConfig c;
  c.hidden_size = 32;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 4;
  c.head_dim = 8;
  c.intermediate_size = 64;
  c.rope_scaling.llama3 = true;
  return c;
}

}  // namespace

BOOST_AUTO_TEST_CASE(sampled_speech_tokens_are_identical_with_the_same_seed) {
  const std::string dir = std::string(WARMTTS_FIXTURES) + "/chatterbox_t3/";
  auto ref = runtime::SafetensorsFile::open(dir + "reference.safetensors");
  auto file = runtime::SafetensorsFile::open(dir + "t3_cfg.safetensors");
  auto cond_weights = chatterbox::T3ConditioningWeights::load(file);
  chatterbox::T3 t3(chatterbox::T3Weights::load(file, tiny_config()), tiny_config());
  auto text_t = ref.tensor("text_tokens")[0];
  std::vector<int64_t> text(text_t.data_ptr<int64_t>(), text_t.data_ptr<int64_t>() + text_t.numel());
  struct Case { double cfg, ex; uint64_t seed; std::string name; };
  for (const auto& c : {Case{0.5, 0.5, 101, "tokens_cfg0.5_ex0.5_seed101"},
                        Case{0.3, 1.0, 202, "tokens_cfg0.3_ex1.0_seed202"}}) {
    auto cond = chatterbox::t3_conditioning(cond_weights, ref.tensor("speaker_emb"), ref.tensor("prompt_tokens"), c.ex);
    chatterbox::T3Sampling s;
    s.cfg_weight = c.cfg;
    s.max_new_tokens = 40;
    runtime::SeededDraw draw(c.seed);
    auto tokens = t3.generate(cond, text, s, draw);
    auto want_t = ref.tensor(c.name);
    std::vector<int64_t> want(want_t.data_ptr<int64_t>(), want_t.data_ptr<int64_t>() + want_t.numel());
    BOOST_TEST(tokens == want, c.name);
  }
}

BOOST_AUTO_TEST_CASE(cfg_weight_zero_runs_the_conditional_row_alone) {
  const std::string dir = std::string(WARMTTS_FIXTURES) + "/chatterbox_t3/";
  auto ref = runtime::SafetensorsFile::open(dir + "reference.safetensors");
  auto file = runtime::SafetensorsFile::open(dir + "t3_cfg.safetensors");
  chatterbox::T3 t3(chatterbox::T3Weights::load(file, tiny_config()), tiny_config());
  auto cond = chatterbox::t3_conditioning(chatterbox::T3ConditioningWeights::load(file),
                                          ref.tensor("speaker_emb"), ref.tensor("prompt_tokens"), 0.5);
  chatterbox::T3Sampling s;
  s.cfg_weight = 0;
  s.max_new_tokens = 10;
  runtime::SeededDraw a(7), b(7);
  auto first = t3.generate(cond, {255, 5, 6, 0}, s, a);
  BOOST_TEST(first.size() >= 1u);
  BOOST_TEST(first == t3.generate(cond, {255, 5, 6, 0}, s, b));  // a seed reproduces the run
}
