// Our logits processors against transformers' (tools/parity/sampling.py).
#define BOOST_TEST_MODULE sampling_parity
#include <boost/test/unit_test.hpp>

#include <ATen/TensorOperators.h>
#include <ATen/ops/isinf.h>
#include <ATen/ops/ones.h>

#include "sidecars/runtime/safetensors_file.hpp"
#include "sidecars/runtime/sampling.hpp"

using namespace warmtts::runtime;

namespace {

const auto ref = SafetensorsFile::open(std::string(WARMTTS_FIXTURES) + "/sampling/reference.safetensors");

// Same -inf pattern, and finite values within 1e-6.
void same(const at::Tensor& ours, const std::string& name) {
  auto theirs = ref.tensor(name);
  BOOST_TEST_CONTEXT(name) {
    BOOST_TEST((at::isinf(ours) == at::isinf(theirs)).all().item<bool>(), "removed ids differ");
    auto finite = at::isinf(theirs).logical_not();
    double worst = (ours - theirs).masked_fill(finite.logical_not(), 0).abs().max().item<double>();
    BOOST_TEST(worst <= 1e-6, "worst difference " << worst);
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(each_processor_matches) {
  auto s = ref.tensor("scores");
  auto prev = ref.tensor("previous");
  same(repetition_penalty(s, prev, 1.2), "repetition_penalty_1.2");
  same(temperature(s, 0.8), "temperature_0.8");
  same(top_k(s, 5), "top_k_5");
  same(top_p(s, 0.9), "top_p_0.9");
  same(min_p(s, 0.05), "min_p_0.05");
  same(min_p(s, 0.5), "min_p_0.5");
}

BOOST_AUTO_TEST_CASE(the_models_chains_match) {
  auto s = ref.tensor("scores");
  auto prev = ref.tensor("previous");
  same(top_p(min_p(temperature(repetition_penalty(s, prev, 1.2), 0.8), 0.05), 1.0), "chain_chatterbox");
  same(top_p(top_k(temperature(s, 0.7), 50), 0.95), "chain_higgs");
}

BOOST_AUTO_TEST_CASE(no_ops_and_cfg) {
  auto s = ref.tensor("scores");
  BOOST_TEST(top_p(s, 1.0).equal(s));
  BOOST_TEST(top_k(s, 0).equal(s));
  BOOST_TEST(min_p(s, 0).equal(s));
  auto u = s * 0.5;
  BOOST_TEST(cfg_mix(s, u, 0).equal(s));  // cfg_weight 0: the conditional logits alone
  BOOST_TEST(cfg_mix(s, u, 0.5).allclose(s + 0.5 * (s - u)));
}

BOOST_AUTO_TEST_CASE(seeded_draws_repeat_and_replayed_draws_are_checked) {
  auto probs = ref.tensor("chain_higgs").softmax(-1);
  SeededDraw a(1234), b(1234);
  for (int i = 0; i < 20; ++i) BOOST_TEST(a.draw(probs).equal(b.draw(probs)));
  std::vector<at::Tensor> recorded;
  auto draws = ref.tensor("draws_seed_1234");
  for (int64_t i = 0; i < draws.size(0); ++i) recorded.push_back(draws[i]);
  ReplayedDraw replay(recorded);
  for (int64_t i = 0; i < draws.size(0); ++i) BOOST_TEST(replay.draw(probs).equal(draws[i]));
  BOOST_CHECK_THROW(replay.draw(probs), std::runtime_error);  // ran out
  // A token with no probability means the two sides diverged.
  auto zero = probs.clone();
  zero.select(1, draws[0][0].item<int64_t>()).zero_();
  ReplayedDraw bad({draws[0]});
  BOOST_CHECK_THROW(bad.draw(zero), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(seeded_draws_equal_the_reference_generators) {
  // Same seed as torch.Generator().manual_seed(1234) on CPU: libtorch 1.13's multinomial draws
  // what torch 2.x's does, so a CPU seed reproduces the reference run.
  auto probs = ref.tensor("chain_higgs").softmax(-1);
  auto draws = ref.tensor("draws_seed_1234");
  SeededDraw ours(1234);
  int same_count = 0;
  for (int64_t i = 0; i < draws.size(0); ++i) same_count += ours.draw(probs).equal(draws[i]);
  BOOST_TEST_MESSAGE("seeded draws equal to torch " << same_count << " of " << draws.size(0));
  BOOST_TEST(same_count == draws.size(0));
}
