// Running tensor code on ATen's intra-op thread pool. Two things make the plain at::parallel_for
// wrong for that in libtorch 1.13:
//  - its OpenMP path is a header template, compiled into *our* code only with -fopenmp (the
//    runtime's CMake target adds it); without it every "parallel" loop silently runs serially;
//  - it does not carry the caller's thread-local state into the pool's threads, so ops there run
//    outside the caller's InferenceMode and refuse to write into inference tensors.
#pragma once

#include <cstdint>

#include <ATen/Parallel.h>
#include <ATen/ThreadLocalState.h>

namespace warmtts::runtime {

#if AT_PARALLEL_OPENMP && !defined(_OPENMP)
#error "compile with -fopenmp, or at::parallel_for runs serially (see parallel.hpp)"
#endif

// at::parallel_for(begin, end, grain, f) with the caller's thread-local state in every thread.
template <class F>
void parallel_for(int64_t begin, int64_t end, int64_t grain, const F& f) {
  const at::ThreadLocalState state;
  at::parallel_for(begin, end, grain, [&](int64_t first, int64_t last) {
    at::ThreadLocalStateGuard guard(state);
    f(first, last);
  });
}

}  // namespace warmtts::runtime
