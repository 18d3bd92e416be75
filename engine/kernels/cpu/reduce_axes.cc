#include "engine/kernels/cpu/reduce_axes.h"

namespace kiln::cpu {
namespace {

// Row-major offsets of every index over the dims selected by `want`.
std::vector<int64_t> EnumerateOffsets(const Shape& shape, const std::vector<int64_t>& strides,
                                      const std::vector<bool>& reduced, bool want) {
  std::vector<int64_t> offsets{0};
  for (size_t d = 0; d < shape.size(); ++d) {
    if (reduced[d] != want) continue;
    std::vector<int64_t> next;
    next.reserve(offsets.size() * static_cast<size_t>(shape[d]));
    for (int64_t base : offsets) {
      for (int64_t i = 0; i < shape[d]; ++i) next.push_back(base + i * strides[d]);
    }
    offsets = std::move(next);
  }
  return offsets;
}

}  // namespace

Result<std::vector<bool>> ReducedAxesMask(const std::vector<int64_t>& axes, int64_t rank) {
  std::vector<bool> mask(static_cast<size_t>(rank), axes.empty());
  for (int64_t a : axes) {
    if (a < -rank || a >= rank) {
      return Status::InvalidArgument("axis " + std::to_string(a) + " is out of range for rank " + std::to_string(rank));
    }
    size_t axis = static_cast<size_t>(a < 0 ? a + rank : a);
    if (mask[axis]) return Status::InvalidArgument("axis " + std::to_string(a) + " is repeated");
    mask[axis] = true;
  }
  return mask;
}

Shape ReducedShape(const Shape& shape, const std::vector<bool>& reduced, bool keepdims) {
  Shape out;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (!reduced[d]) {
      out.push_back(shape[d]);
    } else if (keepdims) {
      out.push_back(1);
    }
  }
  return out;
}

ReductionLayout MakeReductionLayout(const Shape& shape, const std::vector<bool>& reduced) {
  std::vector<int64_t> strides(shape.size());
  int64_t stride = 1;
  for (size_t d = shape.size(); d-- > 0;) {
    strides[d] = stride;
    stride *= shape[d];
  }
  ReductionLayout layout;
  layout.output_offsets = EnumerateOffsets(shape, strides, reduced, false);
  // The reduced elements are contiguous when no kept dim (of size > 1) follows a reduced one.
  layout.reduced_contiguous = true;
  layout.reduced_count = 1;
  bool seen_reduced = false;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (reduced[d]) {
      layout.reduced_count *= shape[d];
      seen_reduced = seen_reduced || shape[d] > 1;
    } else if (seen_reduced && shape[d] > 1) {
      layout.reduced_contiguous = false;
    }
  }
  if (!layout.reduced_contiguous) layout.reduced_offsets = EnumerateOffsets(shape, strides, reduced, true);
  return layout;
}

}  // namespace kiln::cpu
