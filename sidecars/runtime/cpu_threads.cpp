#include "sidecars/runtime/cpu_threads.hpp"

#include <thread>

#include <ATen/Parallel.h>

// Present when libtorch's BLAS is OpenBLAS (Debian); absent with MKL or on GPU builds.
extern "C" void openblas_set_num_threads(int) __attribute__((weak));

namespace warmtts::runtime {

void configure_cpu_threads(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::thread::hardware_concurrency());
  at::set_num_threads(threads);
  if (openblas_set_num_threads) openblas_set_num_threads(1);
}

}  // namespace warmtts::runtime
