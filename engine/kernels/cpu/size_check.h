// Checks for output sizes computed from input values (shape, repeats, depth,
// sizes inputs): a hostile value must give a clean InvalidArgument, not an
// overflowed element count or an allocation no machine can satisfy.
#pragma once

#include <cstdint>
#include <string>

#include "engine/core/dtype.h"
#include "engine/core/status.h"
#include "engine/core/tensor.h"

namespace kiln::cpu {

// Outputs larger than this are refused as absurd (1 TiB).
inline constexpr int64_t kMaxOutputBytes = int64_t{1} << 40;

// a * b for non-negative sizes, or InvalidArgument naming `what` when the
// product overflows int64.
Result<int64_t> CheckedSizeProduct(int64_t a, int64_t b, const std::string& what);

// Ok when `shape` has no negative dimension and a `dtype` tensor of it takes
// at most kMaxOutputBytes; InvalidArgument naming `what` otherwise.
Status CheckOutputShape(const Shape& shape, DataType dtype, const std::string& what);

}  // namespace kiln::cpu
