// The runtime's threaded CPU paths against the plain ATen formulas they replace.
#define BOOST_TEST_MODULE transformer
#include <boost/test/unit_test.hpp>

#include <ATen/Parallel.h>
#include <ATen/ops/matmul.h>
#include <ATen/ops/randn.h>

#include "sidecars/runtime/cpu_threads.hpp"
#include "sidecars/runtime/transformer.hpp"
#include "tests/support/tensor_compare.hpp"

using namespace warmtts;

BOOST_AUTO_TEST_CASE(threaded_full_attention_equals_matmul_softmax_matmul) {
  runtime::configure_cpu_threads(2);
  BOOST_REQUIRE(at::get_num_threads() == 2);
  for (auto [b, h, tq, tk] : {std::array<int64_t, 4>{2, 8, 37, 37}, {1, 3, 5, 11}, {2, 1, 1, 64}}) {
    auto q = at::randn({b, h, tq, 64}), k = at::randn({b, h, tk, 64}), v = at::randn({b, h, tk, 64});
    auto expected = at::matmul((at::matmul(q, k.transpose(-2, -1)) * 0.125).softmax(-1), v);
    testing::check_close(runtime::full_attention(q, k, v, 0.125), expected, "attention", 1e-5);
    // Strided inputs (a transposed view, as models pass them) give the same result.
    auto qt = q.transpose(1, 2).contiguous().transpose(1, 2);
    testing::check_close(runtime::full_attention(qt, k, v, 0.125), expected, "strided attention", 1e-5);
  }
}

BOOST_AUTO_TEST_CASE(threaded_dense_equals_linear) {
  runtime::configure_cpu_threads(2);
  for (int64_t rows : {1, 2, 5, 300}) {
    auto x = at::randn({rows, 96}), w = at::randn({130, 96}), bias = at::randn({130});
    testing::check_close(runtime::dense(x, w, bias), at::matmul(x, w.t()) + bias, "dense", 1e-4);
  }
}

BOOST_AUTO_TEST_CASE(threaded_causal_attention_equals_the_single_thread_formula) {
  for (auto [t, past, groups] : {std::array<int64_t, 3>{1, 20, 1}, {7, 0, 2}, {5, 9, 4}}) {
    auto q = at::randn({2, 2 * groups, t, 64}), k = at::randn({2, 2, past + t, 64}), v = at::randn({2, 2, past + t, 64});
    at::set_num_threads(1);
    auto expected = runtime::causal_gqa_attention(q, k, v);
    runtime::configure_cpu_threads(2);
    testing::check_close(runtime::causal_gqa_attention(q, k, v), expected, "causal attention", 1e-5);
  }
}
