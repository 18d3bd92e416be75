// Comparison of run-time values for tests: the ONNX backend runner's rule
// (floats within |a - e| <= atol + rtol * |e|, NaN equals NaN; integers,
// bools and strings exactly; dtype and shape exactly).
#pragma once

#include <string>

#include "engine/core/value.h"

namespace kiln::testing {

struct Tolerance {
  double rtol = 1e-3;
  double atol = 1e-7;
};

// Empty string when `actual` matches `expected`, else what differs.
std::string CompareValues(const Value& actual, const Value& expected, const Tolerance& tol = {});
std::string CompareTensors(const Tensor& actual, const Tensor& expected, const Tolerance& tol = {});

// Every element of `actual` lies in [lo, hi] (for random-number operators).
std::string CheckRange(const Tensor& actual, double lo, double hi);

}  // namespace kiln::testing
