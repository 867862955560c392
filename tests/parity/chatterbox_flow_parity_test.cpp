// S3Gen's token-to-mel flow against the reference (tools/parity/chatterbox_flow.py): encoder
// output, mu, the guided velocity of the first Euler step, and the final mel from the
// reference's noise and from our generator seeded like torch.
#define BOOST_TEST_MODULE chatterbox_flow_parity
#include <boost/test/unit_test.hpp>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/zeros.h>

#include "sidecars/chatterbox/s3gen_flow.hpp"
#include "sidecars/runtime/cpu_threads.hpp"
#include "sidecars/runtime/safetensors_file.hpp"
#include "tests/support/tensor_compare.hpp"

using namespace warmtts;

namespace {
const std::string dir = std::string(WARMTTS_FIXTURES) + "/chatterbox_flow/";
const auto ref = runtime::SafetensorsFile::open(dir + "reference.safetensors");
const chatterbox::S3GenFlow flow(runtime::SafetensorsFile::open(dir + "s3gen_flow.safetensors").tensors());

chatterbox::FlowPrompt prompt() {
  return {ref.tensor("prompt_token"), ref.tensor("prompt_feat"), ref.tensor("embedding")};
}
at::Tensor all_tokens() { return at::cat({ref.tensor("prompt_token"), ref.tensor("token")}, 1); }
}  // namespace

BOOST_AUTO_TEST_CASE(speaker_projection_matches) {
  testing::check_close(flow.speaker(ref.tensor("embedding")), ref.tensor("spks"), "spks", 1e-6);
}

BOOST_AUTO_TEST_CASE(encoder_and_mu_match) {
  testing::check_close(flow.mu(all_tokens()), ref.tensor("mu"), "mu", 1e-4);
}

BOOST_AUTO_TEST_CASE(the_threaded_cpu_paths_match_too) {
  // Engines run on ATen's pool (per-head attention, split GEMMs); the cases above on one thread.
  runtime::configure_cpu_threads(2);
  testing::check_close(flow.mu(all_tokens()), ref.tensor("mu"), "mu on 2 threads", 1e-4);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(0);
  testing::check_close(flow.inference(ref.tensor("token"), prompt(), gen, nullptr, ref.tensor("z")),
                       ref.tensor("mel"), "mel on 2 threads", 1e-3);
  at::set_num_threads(1);
}

BOOST_AUTO_TEST_CASE(the_cosine_time_schedule_matches) {
  testing::check_close(chatterbox::S3GenFlow::time_span(), ref.tensor("t_span"), "t_span", 0);
}

BOOST_AUTO_TEST_CASE(the_guided_velocity_of_step_0_matches) {
  auto p = prompt();
  const int64_t frames = ref.tensor("mu").size(2);
  auto cond = at::zeros({1, frames, 80});
  cond.slice(1, 0, p.prompt_feat.size(1)).copy_(p.prompt_feat);
  auto v = flow.guided_velocity(ref.tensor("z"), ref.tensor("mu"), 0.0, ref.tensor("spks"),
                                cond.transpose(1, 2).contiguous());
  testing::check_close(v, ref.tensor("dxdt0"), "dxdt step 0", 1e-4);
}

BOOST_AUTO_TEST_CASE(the_mel_from_the_reference_noise_matches) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(0);
  testing::check_close(flow.inference(ref.tensor("token"), prompt(), gen, nullptr, ref.tensor("z")),
                       ref.tensor("mel"), "mel", 1e-3);
}

BOOST_AUTO_TEST_CASE(the_seeded_noise_and_the_whole_flow_match) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(ref.tensor("seed").item<int64_t>());
  testing::check_close(flow.inference(ref.tensor("token"), prompt(), gen), ref.tensor("mel"), "mel seeded", 1e-3);
}

BOOST_AUTO_TEST_CASE(an_out_of_range_token_is_refused) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(0);
  auto bad = ref.tensor("token").clone();
  bad[0][0] = flow.vocab_size();
  BOOST_CHECK_THROW(flow.inference(bad, prompt(), gen), std::invalid_argument);
}
