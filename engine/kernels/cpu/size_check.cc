#include "engine/kernels/cpu/size_check.h"

#include <algorithm>

namespace kiln::cpu {

Result<int64_t> CheckedSizeProduct(int64_t a, int64_t b, const std::string& what) {
  int64_t product = 0;
  if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &product)) {
    return Status::InvalidArgument(what + " " + std::to_string(a) + " x " + std::to_string(b) +
                                   " is not a valid size");
  }
  return product;
}

Status CheckOutputShape(const Shape& shape, DataType dtype, const std::string& what) {
  int64_t count = 1;
  bool too_large = false;
  for (int64_t d : shape) {
    if (d < 0) return Status::InvalidArgument(what + " " + ShapeToString(shape) + " has a negative dimension");
    too_large = too_large || __builtin_mul_overflow(count, d, &count);
  }
  if (count == 0) return Status::Ok();
  const int64_t elem = static_cast<int64_t>(std::max<size_t>(DataTypeSize(dtype), 1));
  if (too_large || count > kMaxOutputBytes / elem) {
    return Status::InvalidArgument(what + " " + ShapeToString(shape) + " is too large (over " +
                                   std::to_string(kMaxOutputBytes >> 30) + " GiB)");
  }
  return Status::Ok();
}

}  // namespace kiln::cpu
