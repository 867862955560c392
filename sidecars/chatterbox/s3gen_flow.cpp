#include "sidecars/chatterbox/s3gen_flow.hpp"

#include <stdexcept>

#include <ATen/TensorOperators.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/cos.h>
#include <ATen/ops/embedding.h>
#include <ATen/ops/full.h>
#include <ATen/ops/linspace.h>
#include <ATen/ops/randn.h>
#include <ATen/ops/stack.h>
#include <ATen/ops/zeros.h>
#include <ATen/ops/zeros_like.h>

#include "sidecars/runtime/transformer.hpp"

namespace warmtts::chatterbox {

S3GenFlow::S3GenFlow(const std::map<std::string, at::Tensor>& tensors)
    : w_(FlowWeights::load(tensors)), encoder_(w_.encoder), estimator_(w_.estimator) {}

at::Tensor S3GenFlow::speaker(const at::Tensor& embedding) const {
  // F.normalize(x, dim=1): x / max(||x||, 1e-12)
  auto e = embedding / embedding.norm(2, {1}, true).clamp_min(1e-12);
  return runtime::dense(e, w_.spk_embed_affine_layer.weight, w_.spk_embed_affine_layer.bias);
}

at::Tensor S3GenFlow::mu(const at::Tensor& tokens) const {
  auto h = encoder_.forward(at::embedding(w_.input_embedding_weight, tokens));
  return runtime::dense(h, w_.encoder_proj.weight, w_.encoder_proj.bias).transpose(1, 2).contiguous();
}

at::Tensor S3GenFlow::time_span() {
  auto t = at::linspace(0, 1, n_timesteps + 1, at::TensorOptions().dtype(at::kFloat));
  return 1 - at::cos(t * 0.5 * M_PI);
}

at::Tensor S3GenFlow::guided_velocity(const at::Tensor& x, const at::Tensor& mu, double t,
                                      const at::Tensor& spks, const at::Tensor& cond) const {
  // Row 0 is conditional; row 1 keeps x and t and zeroes mu, the speaker and the prompt mel.
  auto v = estimator_.forward(at::cat({x, x}), at::cat({mu, at::zeros_like(mu)}),
                              at::full({2}, t, x.options()), at::cat({spks, at::zeros_like(spks)}),
                              at::cat({cond, at::zeros_like(cond)}));
  return (1.0 + cfg_rate) * v.slice(0, 0, 1) - cfg_rate * v.slice(0, 1, 2);
}

at::Tensor S3GenFlow::inference(const at::Tensor& tokens, const FlowPrompt& prompt, at::Generator& gen,
                                const CancelToken* cancel, const at::Tensor& noise) const {
  auto all_tokens = at::cat({prompt.prompt_token.to(at::kLong), tokens.to(at::kLong)}, 1);
  if (all_tokens.numel() > 0 && (all_tokens.max().item<int64_t>() >= vocab_size() || all_tokens.min().item<int64_t>() < 0))
    throw std::invalid_argument("S3Gen flow: speech token out of range [0, " + std::to_string(vocab_size()) + ")");
  auto spks = speaker(prompt.embedding.to(at::kFloat));
  auto m = mu(all_tokens);
  const int64_t frames = m.size(2), prompt_frames = prompt.prompt_feat.size(1);
  auto cond = at::zeros({1, frames, m.size(1)}, m.options());
  cond.slice(1, 0, prompt_frames).copy_(prompt.prompt_feat);
  cond = cond.transpose(1, 2).contiguous();

  at::Tensor x = noise.defined() ? noise.clone() : at::randn(m.sizes(), gen, m.options());
  auto span = time_span();
  auto times = span.accessor<float, 1>();
  for (int k = 0; k < n_timesteps; ++k) {
    if (cancel && cancel->requested()) throw SynthesisCancelled();
    auto v = guided_velocity(x, m, times[k], spks, cond);
    x = x + (span[k + 1] - span[k]).item<float>() * v;
  }
  return x.slice(2, prompt_frames).contiguous();
}

}  // namespace warmtts::chatterbox
