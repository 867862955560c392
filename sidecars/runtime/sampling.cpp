#include "sidecars/runtime/sampling.hpp"

#include <limits>
#include <stdexcept>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/TensorOperators.h>
#include <ATen/ops/gather.h>
#include <ATen/ops/multinomial.h>
#include <ATen/ops/topk.h>
#include <ATen/ops/where.h>

namespace warmtts::runtime {
namespace {
const double minus_inf = -std::numeric_limits<double>::infinity();
}

at::Tensor repetition_penalty(const at::Tensor& scores, const at::Tensor& previous, double penalty) {
  if (penalty == 1.0 || previous.numel() == 0) return scores;
  auto picked = scores.gather(1, previous);
  picked = at::where(picked < 0, picked * penalty, picked / penalty);
  // Scattering the same value to a repeated id is idempotent: "once per distinct id".
  return scores.scatter(1, previous, picked);
}

at::Tensor temperature(const at::Tensor& scores, double t) {
  if (t <= 0) throw std::invalid_argument("temperature must be positive for sampling");
  return t == 1.0 ? scores : scores / t;
}

at::Tensor top_k(const at::Tensor& scores, int64_t k, int64_t min_tokens_to_keep) {
  if (k <= 0) return scores;
  k = std::min(std::max(k, min_tokens_to_keep), scores.size(-1));
  auto kth = std::get<0>(at::topk(scores, k)).narrow(-1, k - 1, 1);
  return scores.masked_fill(scores < kth, minus_inf);
}

at::Tensor top_p(const at::Tensor& scores, double p, int64_t min_tokens_to_keep) {
  if (p >= 1.0) return scores;
  auto [sorted, indices] = scores.sort(/*dim=*/-1, /*descending=*/false);
  auto cumulative = sorted.softmax(-1).cumsum(-1);
  auto remove_sorted = cumulative <= (1 - p);
  remove_sorted.narrow(-1, remove_sorted.size(-1) - min_tokens_to_keep, min_tokens_to_keep).fill_(false);
  auto remove = remove_sorted.scatter(1, indices, remove_sorted);
  return scores.masked_fill(remove, minus_inf);
}

at::Tensor min_p(const at::Tensor& scores, double mp, int64_t min_tokens_to_keep) {
  if (mp <= 0) return scores;
  auto probs = scores.softmax(-1);
  auto top = std::get<0>(probs.max(-1, /*keepdim=*/true));
  auto remove = probs < (top * mp);
  auto sorted_indices = scores.argsort(-1, /*descending=*/true);
  auto sorted_remove = remove.gather(-1, sorted_indices);
  sorted_remove.narrow(-1, 0, min_tokens_to_keep).fill_(false);
  auto final_remove = sorted_remove.scatter(1, sorted_indices, sorted_remove);
  return scores.masked_fill(final_remove, minus_inf);
}

at::Tensor cfg_mix(const at::Tensor& cond, const at::Tensor& uncond, double weight) {
  return cond + weight * (cond - uncond);
}

SeededDraw::SeededDraw(uint64_t seed) : generator_(at::make_generator<at::CPUGeneratorImpl>(seed)) {}

at::Tensor SeededDraw::draw(const at::Tensor& probs) {
  return at::multinomial(probs.to(at::kCPU), 1, false, generator_).squeeze(-1).to(probs.device());
}

at::Tensor ReplayedDraw::draw(const at::Tensor& probs) {
  if (next_ >= draws_.size())
    throw std::runtime_error("replayed draws ran out after " + std::to_string(next_) + " steps");
  auto ids = draws_[next_++].to(at::kLong).reshape({probs.size(0)});
  auto mass = probs.gather(1, ids.unsqueeze(1).to(probs.device()));
  if ((mass <= 0).any().item<bool>())
    throw std::runtime_error("replayed draw " + std::to_string(next_ - 1) +
                             " picks a token with no probability: the distributions diverged");
  return ids.to(probs.device());
}

}  // namespace warmtts::runtime
