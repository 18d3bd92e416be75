// Comparisons: Equal, Greater, GreaterOrEqual, Less, LessOrEqual. Output is
// bool with the broadcast shape (legacy `broadcast` attribute for opset < 7).
#include "engine/kernels/cpu/binary_elementwise.h"

namespace kiln::cpu {

Result<std::unique_ptr<OpKernel>> MakeEqual(const KernelInit& init) {
  return MakeBinaryKernel<AllTypes, true>(init, [](const auto& x, const auto& y) { return x == y; });
}

Result<std::unique_ptr<OpKernel>> MakeGreater(const KernelInit& init) {
  return MakeBinaryKernel<AllNumericTypes, true>(init, [](auto x, auto y) { return x > y; });
}

Result<std::unique_ptr<OpKernel>> MakeGreaterOrEqual(const KernelInit& init) {
  return MakeBinaryKernel<AllNumericTypes, true>(init, [](auto x, auto y) { return x >= y; });
}

Result<std::unique_ptr<OpKernel>> MakeLess(const KernelInit& init) {
  return MakeBinaryKernel<AllNumericTypes, true>(init, [](auto x, auto y) { return x < y; });
}

Result<std::unique_ptr<OpKernel>> MakeLessOrEqual(const KernelInit& init) {
  return MakeBinaryKernel<AllNumericTypes, true>(init, [](auto x, auto y) { return x <= y; });
}

}  // namespace kiln::cpu
