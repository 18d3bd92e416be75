// Conversion of one element between numeric types (and bool), as Cast
// defines it: integers wrap, floating point to integer truncates toward zero
// and saturates (NaN gives 0), anything to bool is "!= 0", 16-bit floats go
// through float.
#pragma once

#include <cmath>
#include <limits>
#include <type_traits>

#include "engine/kernels/cpu/kernel_util.h"

namespace kiln::cpu {

template <typename To, typename From>
To ConvertNumber(From v) {
  using CF = ComputeType<From>;
  if constexpr (std::is_same_v<To, From>) {
    return v;
  } else if constexpr (std::is_same_v<To, bool>) {
    return static_cast<CF>(v) != CF(0);
  } else if constexpr (std::is_same_v<To, double>) {
    return static_cast<double>(static_cast<CF>(v));
  } else if constexpr (kIsFloat<To>) {  // float, Float16, BFloat16
    return To(static_cast<float>(static_cast<CF>(v)));
  } else if constexpr (kIsFloat<From>) {  // floating point to integer
    const double d = static_cast<double>(static_cast<CF>(v));
    if (std::isnan(d)) return To(0);
    // Both limits are exact in double or round up to a power of two, so the
    // comparisons keep the final cast in range.
    constexpr double kMax = static_cast<double>(std::numeric_limits<To>::max());
    constexpr double kLowest = static_cast<double>(std::numeric_limits<To>::lowest());
    if (d >= kMax) return std::numeric_limits<To>::max();
    if (d <= kLowest) return std::numeric_limits<To>::lowest();
    return static_cast<To>(d);
  } else {  // integer or bool to integer: modular
    return static_cast<To>(v);
  }
}

}  // namespace kiln::cpu
