// BitShift: shifts unsigned integers left or right (attribute `direction`)
// by per-element amounts, with broadcasting. Shifting by the bit width or
// more gives 0.
#include <limits>

#include "engine/kernels/cpu/binary_elementwise.h"

namespace kiln::cpu {

Result<std::unique_ptr<OpKernel>> MakeBitShift(const KernelInit& init) {
  const std::string direction = init.node.GetString("direction", "");
  if (direction != "LEFT" && direction != "RIGHT") {
    return Status::InvalidArgument("direction must be LEFT or RIGHT, got '" + direction + "'");
  }
  const bool left = direction == "LEFT";
  return MakeBinaryKernel<UnsignedIntTypes, false>(init, [left](auto x, auto y) {
    using C = decltype(x);
    if (y >= static_cast<C>(std::numeric_limits<C>::digits)) return C(0);
    return static_cast<C>(left ? x << y : x >> y);
  });
}

}  // namespace kiln::cpu
