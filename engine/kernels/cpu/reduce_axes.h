// Axis-set reductions shared by the Reduce* operators and MeanVarianceNormalization:
// which axes are reduced, the reduced shape, and precomputed element offsets.
#pragma once

#include <vector>

#include "engine/kernels/cpu/kernel_util.h"

namespace kiln::cpu {

// A mask of length `rank` with the listed axes set (all when `axes` is empty).
// InvalidArgument for out-of-range or repeated axes.
Result<std::vector<bool>> ReducedAxesMask(const std::vector<int64_t>& axes, int64_t rank);

// The shape after reduction: reduced dims become 1 (keepdims) or are dropped.
Shape ReducedShape(const Shape& shape, const std::vector<bool>& reduced, bool keepdims);

// Offsets into a row-major input: output_offsets[o] is where output element o's
// reduction starts; each reduction covers reduced_count elements at offsets
// (from there) 0..reduced_count-1 when reduced_contiguous, else reduced_offsets.
struct ReductionLayout {
  std::vector<int64_t> output_offsets;
  int64_t reduced_count = 0;
  bool reduced_contiguous = false;
  std::vector<int64_t> reduced_offsets;  // empty when reduced_contiguous
};
ReductionLayout MakeReductionLayout(const Shape& shape, const std::vector<bool>& reduced);

// Calls f(offset) for the offset of each reduced element, in row-major order.
template <typename F>
inline void ForEachReducedOffset(const ReductionLayout& layout, F&& f) {
  if (layout.reduced_contiguous) {
    for (int64_t r = 0; r < layout.reduced_count; ++r) f(r);
  } else {
    for (int64_t offset : layout.reduced_offsets) f(offset);
  }
}

}  // namespace kiln::cpu
