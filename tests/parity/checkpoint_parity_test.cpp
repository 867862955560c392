// torch.save files, weight-norm folding and sharded safetensors against torch
// (tools/parity/checkpoint_files.py).
#define BOOST_TEST_MODULE checkpoint_parity
#include <boost/test/unit_test.hpp>

#include <ATen/TensorOperators.h>

#include "tests/support/tensor_compare.hpp"
#include "sidecars/runtime/checkpoint.hpp"

using namespace warmtts::runtime;

namespace {
const std::string dir = std::string(WARMTTS_FIXTURES) + "/checkpoint/";
const auto folded = SafetensorsFile::open(dir + "folded.safetensors");

double worst(const at::Tensor& a, const at::Tensor& b) { return warmtts::testing::worst_difference(a, b); }
}  // namespace

BOOST_AUTO_TEST_CASE(conds_pt_reads_as_flat_tensors) {
  auto t = load_torch_file(dir + "conds.pt");
  BOOST_TEST(t.count("t3.speaker_emb") == 1u);
  BOOST_TEST(t.count("t3.clap_emb") == 0u);  // None
  BOOST_TEST(t.at("t3.cond_prompt_speech_tokens").scalar_type() == at::kLong);
  BOOST_TEST(t.at("t3.cond_prompt_speech_tokens")[0][11].item<int64_t>() == 11);
  BOOST_TEST(t.at("gen.prompt_feat").sizes() == at::IntArrayRef({1, 12, 5}));
  BOOST_TEST(t.at("t3.emotion_adv").item<float>() == 0.5f);
}

BOOST_AUTO_TEST_CASE(old_style_weight_norm_pairs_fold_like_torch) {
  auto t = load_torch_file(dir + "model.pth");
  BOOST_TEST(fold_weight_norms(t) == 3u);
  BOOST_TEST(t.count("conv.weight_g") == 0u);
  for (auto name : {"conv.weight", "convt.weight", "pos.weight"}) {
    double d = worst(t.at(name), folded.tensor(name));
    BOOST_TEST(d <= 1e-6, name << ": worst difference " << d);
  }
  BOOST_TEST(t.count("conv.bias") == 1u);
}

BOOST_AUTO_TEST_CASE(parametrized_weight_norm_folds_like_torch) {
  auto file = SafetensorsFile::open(dir + "parametrized.safetensors");
  auto t = file.tensors();
  BOOST_TEST(fold_weight_norms(t) == 1u);
  double d = worst(t.at("conv_pre.weight"), folded.tensor("conv_pre.weight"));
  BOOST_TEST(d <= 1e-6, "worst difference " << d);
}

BOOST_AUTO_TEST_CASE(sharded_safetensors_follow_the_index) {
  auto s = ShardedSafetensors::open(dir + "model.safetensors.index.json");
  auto expected = SafetensorsFile::open(dir + "sharded_expected.safetensors");
  BOOST_TEST(s.names().size() == 3u);
  for (auto name : {"x.weight", "y.weight", "z.weight"}) BOOST_TEST(s.tensor(name).equal(expected.tensor(name)));
  BOOST_CHECK_THROW(s.tensor("w.weight"), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(a_file_that_is_not_torch_save_is_refused) {
  BOOST_CHECK_THROW(load_torch_file(dir + "model.safetensors.index.json"), std::runtime_error);
  BOOST_CHECK_THROW(load_torch_file(dir + "missing.pt"), std::runtime_error);
}
