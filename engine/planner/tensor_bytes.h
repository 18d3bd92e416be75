// Byte sizes of tensors for the planner, computed without allocating.
// Stateless; thread-safe.
#pragma once

#include <cstdint>

#include "engine/core/tensor.h"

namespace kiln::planner {

// Bytes a tensor of `dtype` and `shape` needs, or -1 when a dimension is
// negative or the size overflows (Tensor::Allocate then reports the error).
int64_t CheckedTensorBytes(DataType dtype, const Shape& shape);

// A tensor in its own anonymous memory mapping, returned to the system as
// soon as the tensor is dropped. For the planner's recording runs: large
// blocks freed one by one through malloc stay resident in its heap (glibc
// raises its mmap threshold after each), which would make the first run of
// a shape far bigger than the plan. Throws std::bad_alloc when mapping fails.
Tensor AllocateMapped(DataType dtype, Shape shape, size_t bytes);

}  // namespace kiln::planner
