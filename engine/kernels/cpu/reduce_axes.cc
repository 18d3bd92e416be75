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
      return Status::InvalidArgument("axis " + std::to_string(a) + " is out of range for rank " +
                                     std::to_string(rank));
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
  layout.reduced_offsets = EnumerateOffsets(shape, strides, reduced, true);
  layout.reduced_contiguous = true;
  for (size_t r = 0; r < layout.reduced_offsets.size(); ++r) {
    if (layout.reduced_offsets[r] != static_cast<int64_t>(r)) {
      layout.reduced_contiguous = false;
      break;
    }
  }
  return layout;
}

}  // namespace kiln::cpu
