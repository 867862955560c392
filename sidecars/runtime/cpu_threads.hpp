// CPU threading for the model runtime: ATen's intra-op pool does the parallel work and BLAS runs
// single-threaded inside it. OpenBLAS's own pthreads otherwise spin against ATen's OpenMP threads
// (bench/llama_decode on 2 cores: 545 -> 290 ms per step with dense()).
#pragma once

namespace warmtts::runtime {

// `threads` <= 0: every hardware thread.
void configure_cpu_threads(int threads = 0);

}  // namespace warmtts::runtime
