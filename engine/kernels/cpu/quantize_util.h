// Helpers shared by the quantized operators: reading scale and zero-point
// inputs, widening quantized data to int32 with the zero point removed, and
// saturating round-half-to-even requantization.
#pragma once

#include <cmath>
#include <limits>
#include <vector>

#include "engine/kernels/cpu/kernel_util.h"

namespace kiln::cpu {

using QuantTypes = TypeList<uint8_t, int8_t>;

// Rounds half to even (the default FP rounding mode) and clamps to Q's range.
template <typename Q>
inline Q SaturateRound(float v) {
  const float r = std::nearbyint(v);
  constexpr float lo = static_cast<float>(std::numeric_limits<Q>::min());
  constexpr float hi = static_cast<float>(std::numeric_limits<Q>::max());
  if (!(r >= lo)) return std::numeric_limits<Q>::min();  // also NaN
  if (r > hi) return std::numeric_limits<Q>::max();
  return static_cast<Q>(r);
}

// Input i (a scale or zero point) as `count` values: a single value is
// repeated; otherwise it must have exactly `count` elements. Absent -> 0s.
template <typename V>
Result<std::vector<V>> ReadPerChannel(const KernelContext& ctx, int i, int64_t count, const char* what) {
  if (!ctx.has_input(i)) return std::vector<V>(static_cast<size_t>(count), V(0));
  const Tensor& t = ctx.input(i);
  if (t.num_elements() != 1 && (t.rank() != 1 || t.num_elements() != count)) {
    return Status::InvalidArgument(std::string(what) + " must be a scalar or have " + std::to_string(count) +
                                   " elements, got shape " + ShapeToString(t.shape()));
  }
  std::vector<V> out(static_cast<size_t>(count));
  for (int64_t j = 0; j < count; ++j) {
    const int64_t src = t.num_elements() == 1 ? 0 : j;
    if constexpr (std::is_floating_point_v<V>) {
      out[static_cast<size_t>(j)] = static_cast<V>(t.GetDouble(src));
    } else {
      out[static_cast<size_t>(j)] = static_cast<V>(t.GetInt(src));
    }
  }
  return out;
}

// The values of a uint8/int8 tensor (Unimplemented for other types) minus a
// zero point that varies along one axis: element e uses
// zero_points[(e / inner) % count].
inline Result<std::vector<int32_t>> WidenQuantized(const Tensor& q, const std::vector<int32_t>& zero_points,
                                                   int64_t inner) {
  std::vector<int32_t> out(static_cast<size_t>(q.num_elements()));
  const int64_t count = static_cast<int64_t>(zero_points.size());
  KILN_RETURN_IF_ERROR(DispatchType<QuantTypes>(q.dtype(), [&](auto tag) {
    using Q = typename decltype(tag)::type;
    const Q* p = q.data<Q>();
    const int64_t n = q.num_elements();
    if (count == 1) {
      const int32_t zp = zero_points[0];
      for (int64_t e = 0; e < n; ++e) out[static_cast<size_t>(e)] = static_cast<int32_t>(p[e]) - zp;
    } else {
      for (int64_t e = 0; e < n; ++e) {
        const int32_t zp = zero_points[static_cast<size_t>((e / inner) % count)];
        out[static_cast<size_t>(e)] = static_cast<int32_t>(p[e]) - zp;
      }
    }
  }));
  return out;
}

}  // namespace kiln::cpu
