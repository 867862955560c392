// S3Gen's token-to-mel (CausalMaskedDiffWithXvec.inference, specs/chatterbox.md §6.1, §6.3): the
// prompt and the new speech tokens are encoded together, projected to the mel prior mu, and a
// conditional flow is integrated with 10 Euler steps on a cosine time schedule, with
// classifier-free guidance (1.7 v_cond - 0.7 v_uncond). The prompt's frames are cut off.
#pragma once

#include <map>
#include <string>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include "sidecars/chatterbox/conformer_encoder.hpp"
#include "sidecars/chatterbox/flow_estimator.hpp"
#include "sidecars/chatterbox/flow_weights.hpp"
#include "sidecars/tts_engine.hpp"

namespace warmtts::chatterbox {

struct FlowPrompt {
  at::Tensor prompt_token;  // [1, Tp] int64, speech tokens of the reference clip
  at::Tensor prompt_feat;   // [1, 2 Tp, 80], its 24 kHz mel
  at::Tensor embedding;     // [1, xvector], its CAMPPlus x-vector
};

class S3GenFlow {
 public:
  static constexpr int n_timesteps = 10;        // S3Token2Wav.flow_inference
  static constexpr double cfg_rate = 0.7;       // CFM_PARAMS.inference_cfg_rate

  // `tensors`: s3gen.safetensors (flow.* used), float32.
  explicit S3GenFlow(const std::map<std::string, at::Tensor>& tensors);
  S3GenFlow(const S3GenFlow&) = delete;
  S3GenFlow& operator=(const S3GenFlow&) = delete;

  int64_t vocab_size() const { return w_.input_embedding_weight.size(0); }

  // Stages, exposed for the parity tests.
  at::Tensor speaker(const at::Tensor& embedding) const;  // normalize + affine -> [1, 80]
  // speech tokens [1, T] -> mu [1, 80, 2T]
  at::Tensor mu(const at::Tensor& tokens) const;
  // One CFG velocity: x [1, 80, T2] at time t.
  at::Tensor guided_velocity(const at::Tensor& x, const at::Tensor& mu, double t, const at::Tensor& spks,
                             const at::Tensor& cond) const;
  // The cosine schedule, n_timesteps + 1 times from 0 to 1 (float32, as the reference).
  static at::Tensor time_span();

  // speech tokens [1, Tg] (each < vocab_size()) -> mel [1, 80, 2 Tg]. The initial noise comes
  // from `gen` (torch.randn_like order), or is `noise` [1, 80, 2 (Tp + Tg)] when given.
  // Checks `cancel` between Euler steps.
  at::Tensor inference(const at::Tensor& tokens, const FlowPrompt& prompt, at::Generator& gen,
                       const CancelToken* cancel = nullptr, const at::Tensor& noise = {}) const;

 private:
  FlowWeights w_;
  ConformerEncoder encoder_;
  FlowEstimator estimator_;
};

}  // namespace warmtts::chatterbox
