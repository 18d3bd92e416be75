// Strided element copies shared by the layout kernels (Transpose, Slice,
// Expand, Tile, DepthToSpace, ...): walk a logical shape and copy each
// element between two memory layouts given by per-dimension strides.
#pragma once

#include <vector>

#include "engine/core/tensor.h"

namespace kiln::cpu {

// Row-major (contiguous) strides of `shape`, in elements.
std::vector<int64_t> ContiguousStrides(const Shape& shape);

// For every index i of `shape`, copies src[sum(i[d] * src_strides[d])] to
// dst[sum(i[d] * dst_strides[d])]; strides are in elements (0 repeats an
// element) and `src`/`dst` already point at the first element. Works for
// every dtype, strings included. Adjacent dimensions that are contiguous in
// both layouts are merged and inner runs are copied with memcpy.
void CopyStrided(DataType dtype, const Shape& shape, const void* src, std::vector<int64_t> src_strides,
                 void* dst, std::vector<int64_t> dst_strides);

// Address of element `index` of `t` (strings included).
const void* ElementAt(const Tensor& t, int64_t index);
void* ElementAt(Tensor& t, int64_t index);

// Fills `out` (a contiguous tensor of the given shape) by reading `src` with
// `src_strides` starting at element `src_offset`.
void GatherStrided(const Tensor& src, int64_t src_offset, const std::vector<int64_t>& src_strides, Tensor& out);

// out = in with its dimensions permuted: out.dim(i) == in.dim(perm[i]).
// `perm` must be a valid permutation of [0, in.rank()).
Tensor TransposeTensor(const Tensor& in, const std::vector<int64_t>& perm);

}  // namespace kiln::cpu
