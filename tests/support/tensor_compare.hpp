// Parity checks: the worst absolute difference between our tensor and the reference's, printed
// always (so that a passing run shows the margin) and checked against a tolerance.
#pragma once

#include <string>

#include <ATen/TensorOperators.h>
#include <boost/test/unit_test.hpp>

namespace warmtts::testing {

inline double worst_difference(const at::Tensor& ours, const at::Tensor& theirs) {
  BOOST_REQUIRE_MESSAGE(ours.sizes() == theirs.sizes(),
                        "shape " << ours.sizes() << " differs from the reference's " << theirs.sizes());
  double worst = (ours.to(at::kFloat) - theirs.to(at::kFloat)).abs().max().item<double>();
  BOOST_TEST_MESSAGE("worst absolute difference " << worst << " (reference values up to "
                                                  << theirs.abs().max().item<double>() << ")");
  return worst;
}

// |ours - theirs| <= tolerance everywhere.
inline void check_close(const at::Tensor& ours, const at::Tensor& theirs, const std::string& name,
                        double tolerance) {
  BOOST_TEST_CONTEXT(name) {
    double worst = worst_difference(ours, theirs);
    BOOST_TEST(worst <= tolerance, name << ": worst difference " << worst);
  }
}

// ||ours - theirs|| / ||theirs|| <= tolerance: for signals whose error accumulates along time
// (a vocoder's phase), where one sample's absolute difference says little.
inline void check_relative_l2(const at::Tensor& ours, const at::Tensor& theirs, const std::string& name,
                              double tolerance) {
  BOOST_TEST_CONTEXT(name) {
    BOOST_REQUIRE_MESSAGE(ours.sizes() == theirs.sizes(),
                          "shape " << ours.sizes() << " differs from the reference's " << theirs.sizes());
    auto a = ours.to(at::kFloat), b = theirs.to(at::kFloat);
    double rel = ((a - b).norm() / b.norm()).item<double>();
    BOOST_TEST_MESSAGE("relative L2 difference " << rel << ", worst sample " << (a - b).abs().max().item<double>());
    BOOST_TEST(rel <= tolerance, name << ": relative L2 difference " << rel);
  }
}

}  // namespace warmtts::testing
