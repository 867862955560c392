// Token sampling, exactly as transformers' logits processors compute it (so that parity tests
// can compare step by step): repetition penalty, temperature, top-k, top-p, min-p, classifier-
// free-guidance mixing; and the random draw, from a seeded generator or replayed from the
// reference's recorded draws.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

namespace warmtts::runtime {

// Each takes and returns scores [B, V] (float); removed ids become -inf.

// RepetitionPenaltyLogitsProcessor: for each distinct id in `previous` [B, N]:
// s < 0 ? s * penalty : s / penalty.
at::Tensor repetition_penalty(const at::Tensor& scores, const at::Tensor& previous, double penalty);
// TemperatureLogitsWarper
at::Tensor temperature(const at::Tensor& scores, double t);
// TopKLogitsWarper (k <= 0: no-op)
at::Tensor top_k(const at::Tensor& scores, int64_t k, int64_t min_tokens_to_keep = 1);
// TopPLogitsWarper (p >= 1: no-op)
at::Tensor top_p(const at::Tensor& scores, double p, int64_t min_tokens_to_keep = 1);
// MinPLogitsWarper (min_p <= 0: no-op)
at::Tensor min_p(const at::Tensor& scores, double min_p, int64_t min_tokens_to_keep = 1);
// Chatterbox's CFG: cond + w * (cond - uncond)
at::Tensor cfg_mix(const at::Tensor& cond, const at::Tensor& uncond, double weight);

// Where a sampled token comes from.
class TokenDraw {
 public:
  virtual ~TokenDraw() = default;
  // probs [B, V] -> ids [B] (int64)
  virtual at::Tensor draw(const at::Tensor& probs) = 0;
};

// torch.multinomial with a generator seeded like torch.Generator().manual_seed(seed).
class SeededDraw final : public TokenDraw {
 public:
  explicit SeededDraw(uint64_t seed);
  // Draws from `generator` (a handle: the caller's later draws continue the same stream, as
  // the reference's other random ops continue torch's default generator).
  explicit SeededDraw(at::Generator generator) : generator_(std::move(generator)) {}
  at::Tensor draw(const at::Tensor& probs) override;

 private:
  at::Generator generator_;
};

// Replays recorded draws (parity tests): returns them in order and refuses one the
// distribution gives no mass to, which would mean the two implementations diverged.
class ReplayedDraw final : public TokenDraw {
 public:
  explicit ReplayedDraw(std::vector<at::Tensor> draws) : draws_(std::move(draws)) {}
  at::Tensor draw(const at::Tensor& probs) override;

 private:
  std::vector<at::Tensor> draws_;
  size_t next_ = 0;
};

}  // namespace warmtts::runtime
