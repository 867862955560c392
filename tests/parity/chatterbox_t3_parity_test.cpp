// T3's conditioning encoder against the reference (tools/parity/chatterbox_t3.py).
#define BOOST_TEST_MODULE chatterbox_t3_parity
#include <boost/test/unit_test.hpp>

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
