// Shared helpers for CPU kernels: what every kernel file includes.
#pragma once

#include <cmath>
#include <memory>
#include <string>
#include <type_traits>

#include "engine/core/dtype.h"
#include "engine/core/status.h"
#include "engine/core/tensor.h"
#include "engine/core/value.h"
#include "engine/runtime/kernel_context.h"
#include "engine/runtime/op_kernel.h"

namespace kiln::cpu {

// True for float, double, Float16 and BFloat16.
template <typename T>
inline constexpr bool kIsFloat = std::is_floating_point_v<T> || std::is_same_v<T, Float16> ||
                                 std::is_same_v<T, BFloat16>;

// The arithmetic type used to compute on T: float for the 16-bit floats.
template <typename T>
using ComputeType = std::conditional_t<std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>, float, T>;

// Maps a possibly negative axis into [0, rank), or InvalidArgument.
Result<int64_t> NormalizeAxis(int64_t axis, int64_t rank, const std::string& what = "axis");

// Input i as a list of int64 (for shape, axes, pads... inputs); empty when absent.
std::vector<int64_t> InputAsInt64s(const KernelContext& ctx, int i);

// "Add: " style prefix is added by the executor; kernels only say what is wrong.
inline Status ShapeError(const std::string& message) { return Status::InvalidArgument(message); }

// Product of dims [begin, end).
inline int64_t SizeFromDim(const Shape& s, size_t begin, size_t end) {
  int64_t n = 1;
  for (size_t i = begin; i < end && i < s.size(); ++i) n *= s[i];
  return n;
}

}  // namespace kiln::cpu
