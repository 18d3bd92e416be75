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
// reduction starts and reduced_offsets[r] the offset of its r-th element from there
// (both in row-major order). reduced_contiguous: reduced_offsets[r] == r.
struct ReductionLayout {
  std::vector<int64_t> output_offsets;
  std::vector<int64_t> reduced_offsets;
  bool reduced_contiguous = false;
};
ReductionLayout MakeReductionLayout(const Shape& shape, const std::vector<bool>& reduced);

}  // namespace kiln::cpu
