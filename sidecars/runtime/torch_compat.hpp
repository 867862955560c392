// Every difference between the libtorch versions warmtts builds with lives here: Debian's CPU
// libtorch 1.13 (tests, CI) and a CUDA libtorch 2.x from the torch wheel (GPU machines).
#pragma once

#include <torch/version.h>

#include <ATen/core/Tensor.h>

#if TORCH_VERSION_MAJOR >= 2
#include <ATen/ops/scaled_dot_product_attention.h>
#define WARMTTS_HAS_SDPA 1
#else
#define WARMTTS_HAS_SDPA 0
#endif

namespace warmtts::runtime::compat {

inline constexpr bool has_sdpa = WARMTTS_HAS_SDPA;

}  // namespace warmtts::runtime::compat
