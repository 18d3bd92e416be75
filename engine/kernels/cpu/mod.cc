// Mod: elementwise remainder with broadcasting. fmod=0 takes the sign of the
// divisor (Python's %), fmod=1 the sign of the dividend (C's fmod). An
// integer division by zero gives 0 instead of trapping.
#include <cmath>
#include <type_traits>

#include "engine/kernels/cpu/binary_elementwise.h"

namespace kiln::cpu {

Result<std::unique_ptr<OpKernel>> MakeMod(const KernelInit& init) {
  const int64_t fmod = init.node.GetInt("fmod", 0);
  if (fmod != 0 && fmod != 1) return Status::InvalidArgument("fmod must be 0 or 1, got " + std::to_string(fmod));
  const bool sign_of_divisor = fmod == 0;
  return MakeBinaryKernel<AllNumericTypes, false>(init, [sign_of_divisor](auto x, auto y) {
    using C = decltype(x);
    C r;
    if constexpr (std::is_integral_v<C>) {
      if (y == 0) return C(0);
      if constexpr (std::is_signed_v<C>) {
        if (y == -1) return C(0);  // also avoids the overflow of lowest % -1
      }
      r = static_cast<C>(x % y);
    } else {
      r = std::fmod(x, y);
    }
    if constexpr (std::is_signed_v<C> || std::is_floating_point_v<C>) {
      if (sign_of_divisor && r != 0 && ((r < 0) != (y < 0))) r = static_cast<C>(r + y);
    }
    return r;
  });
}

}  // namespace kiln::cpu
