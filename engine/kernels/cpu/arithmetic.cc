// Add, Sub, Mul, Div: elementwise arithmetic with multidirectional
// broadcasting (opset >= 7) or the legacy broadcast attribute (opset < 7).
#include <type_traits>

#include "engine/kernels/cpu/binary_elementwise.h"

namespace kiln::cpu {
namespace {

// a / b on ComputeType operands, with integer division by zero and
// lowest / -1 defined instead of trapping (ONNX leaves both undefined).
template <typename C>
C Divide(C a, C b) {
  if constexpr (std::is_integral_v<C>) {
    if (b == 0) return C{};
    if constexpr (std::is_signed_v<C>) {
      // lowest / -1 overflows (and traps on x86): wrap like two's complement negation.
      if (b == -1) return static_cast<C>(C(0) - static_cast<std::make_unsigned_t<C>>(a));
    }
  }
  return static_cast<C>(a / b);
}

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeAdd(const KernelInit& init) {
  return MakeBinaryKernel<AllNumericTypes, false>(init, [](auto x, auto y) { return x + y; });
}
Result<std::unique_ptr<OpKernel>> MakeSub(const KernelInit& init) {
  return MakeBinaryKernel<AllNumericTypes, false>(init, [](auto x, auto y) { return x - y; });
}
Result<std::unique_ptr<OpKernel>> MakeMul(const KernelInit& init) {
  return MakeBinaryKernel<AllNumericTypes, false>(init, [](auto x, auto y) { return x * y; });
}
Result<std::unique_ptr<OpKernel>> MakeDiv(const KernelInit& init) {
  return MakeBinaryKernel<AllNumericTypes, false>(init, [](auto x, auto y) { return Divide(x, y); });
}

}  // namespace kiln::cpu
