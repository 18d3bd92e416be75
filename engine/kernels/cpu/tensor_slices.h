// Helpers for the control-flow and sequence kernels: copying blocks of a
// tensor along an axis, taking one slice of a tensor along an axis, and
// stacking equally shaped tensors along a new axis. All dtypes, strings included.
#pragma once

#include <vector>

#include "engine/core/status.h"
#include "engine/core/tensor.h"

namespace kiln::cpu {

// Copies `count` consecutive elements from src (from src_offset) to dst (at dst_offset).
// src and dst have the same dtype; offsets and count are within bounds.
void CopyElements(const Tensor& src, int64_t src_offset, Tensor& dst, int64_t dst_offset, int64_t count);

// Copies positions [src_start, src_start + length) along `axis` of src into
// positions [dst_start, dst_start + length) along `axis` of dst. src and dst
// have the same dtype and rank and the same dims except along `axis`.
void CopyAlongAxis(const Tensor& src, int64_t src_start, Tensor& dst, int64_t dst_start, int64_t axis,
                   int64_t length);

// The sub-tensor at `index` along `axis` (rank one less). A view sharing src's
// storage when the slice is contiguous, else a copy. axis and index are valid.
Tensor SliceAlongAxis(const Tensor& src, int64_t axis, int64_t index);

// Stacks tensors of one dtype and shape along a new axis at `axis` (0..rank).
// Fails when dtypes or shapes differ. `parts` must not be empty.
Result<Tensor> StackAlongNewAxis(const std::vector<Tensor>& parts, int64_t axis);

}  // namespace kiln::cpu
