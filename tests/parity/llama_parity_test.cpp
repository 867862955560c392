// Our Llama against transformers' LlamaModel (tools/parity/llama_tiny.py): GQA, Llama-3 RoPE
// scaling, fp32, full forward and KV-cache decoding.
#define BOOST_TEST_MODULE llama_parity
#include <boost/test/unit_test.hpp>

#include <fstream>

#include <ATen/TensorOperators.h>
#include <ATen/ops/cat.h>
#include <nlohmann/json.hpp>

#include "tests/support/tensor_compare.hpp"
#include "sidecars/runtime/cpu_threads.hpp"
#include "sidecars/runtime/llama.hpp"
#include "sidecars/runtime/safetensors_file.hpp"

using namespace warmtts::runtime;

namespace {

const std::string dir = std::string(WARMTTS_FIXTURES) + "/llama_tiny/";

// Worst absolute difference, printed on failure.
double worst(const at::Tensor& a, const at::Tensor& b) { return warmtts::testing::worst_difference(a, b); }

struct Tiny {
  SafetensorsFile weights = SafetensorsFile::open(dir + "model.safetensors");
  SafetensorsFile reference = SafetensorsFile::open(dir + "reference.safetensors");
  LlamaConfig config;
  std::unique_ptr<Llama> model;
  Tiny() {
    std::ifstream in(dir + "config.json");
    config = llama_config_from_json(nlohmann::json::parse(in));
    auto w = load_llama_weights([&](const std::string& n) { return weights.tensor(n); }, "",
                                config, at::TensorOptions().dtype(at::kFloat));
    model = std::make_unique<Llama>(std::move(w), config, 64, at::TensorOptions().dtype(at::kFloat));
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(config_and_rope_frequencies_match) {
  Tiny t;
  BOOST_TEST(t.config.num_key_value_heads == 2);
  BOOST_TEST(t.config.rope_scaling.llama3);
  auto ours = rope_inv_freq(t.config.head_dim, t.config.rope_theta, t.config.rope_scaling);
  double d = worst(ours, t.reference.tensor("inv_freq"));
  BOOST_TEST(d <= 1e-7, "worst inv_freq difference " << d);
}

BOOST_AUTO_TEST_CASE(full_forward_matches_transformers) {
  Tiny t;
  auto x = t.reference.tensor("inputs_embeds");
  auto cache = t.model->make_cache(2, 16);
  auto out = t.model->forward(x, cache);
  double d = worst(out, t.reference.tensor("full"));
  BOOST_TEST(d <= 1e-4, "worst difference " << d);
}

BOOST_AUTO_TEST_CASE(attention_weights_match_transformers_eager_attention) {
  Tiny t;
  auto cache = t.model->make_cache(2, 16);
  std::vector<at::Tensor> attentions;
  t.model->forward(t.reference.tensor("inputs_embeds"), cache, &attentions);
  BOOST_REQUIRE(attentions.size() == 2u);
  for (size_t i = 0; i < attentions.size(); ++i) {
    double d = worst(attentions[i], t.reference.tensor("attentions." + std::to_string(i)));
    BOOST_TEST(d <= 1e-5, "layer " << i << " worst difference " << d);
  }
}

BOOST_AUTO_TEST_CASE(kv_cache_decoding_matches_transformers_and_the_full_pass) {
  Tiny t;
  auto x = t.reference.tensor("inputs_embeds");
  auto cache = t.model->make_cache(2, 16);
  std::vector<at::Tensor> steps{t.model->forward(x.narrow(1, 0, 6), cache)};
  for (int64_t i = 6; i < 10; ++i) steps.push_back(t.model->forward(x.narrow(1, i, 1), cache));
  auto incremental = at::cat(steps, 1);
  BOOST_TEST(cache.length() == 10);
  double d = worst(incremental, t.reference.tensor("incremental"));
  BOOST_TEST(d <= 1e-4, "worst difference to transformers " << d);
  auto fresh = t.model->make_cache(2, 16);
  double self = worst(incremental, t.model->forward(x, fresh));
  BOOST_TEST(self <= 1e-5, "worst difference to our full pass " << self);
}

BOOST_AUTO_TEST_CASE(the_threaded_cpu_path_matches_too) {
  // dense() splits matrix products over threads (mv for decode rows, mm for prefill).
  configure_cpu_threads(2);
  Tiny t;
  auto x = t.reference.tensor("inputs_embeds");
  auto cache = t.model->make_cache(2, 16);
  std::vector<at::Tensor> steps{t.model->forward(x.narrow(1, 0, 6), cache)};
  for (int64_t i = 6; i < 10; ++i) steps.push_back(t.model->forward(x.narrow(1, i, 1), cache));
  double d = worst(at::cat(steps, 1), t.reference.tensor("incremental"));
  BOOST_TEST(d <= 1e-4, "worst difference " << d);
  configure_cpu_threads(1);
}

BOOST_AUTO_TEST_CASE(a_full_cache_is_a_clear_error_not_a_reallocation) {
  Tiny t;
  auto cache = t.model->make_cache(2, 8);
  auto x = t.reference.tensor("inputs_embeds");
  BOOST_CHECK_THROW(t.model->forward(x, cache), std::runtime_error);
}
