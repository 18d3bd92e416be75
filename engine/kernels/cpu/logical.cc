// Boolean logic: And, Or, Xor (broadcasting; legacy `broadcast` attribute
// for opset < 7) and Not.
#include "engine/kernels/cpu/binary_elementwise.h"
#include "engine/kernels/cpu/unary_elementwise.h"

namespace kiln::cpu {

namespace {
using BoolType = TypeList<bool>;
}  // namespace

Result<std::unique_ptr<OpKernel>> MakeAnd(const KernelInit& init) {
  return MakeBinaryKernel<BoolType, true>(init, [](bool x, bool y) { return x && y; });
}

Result<std::unique_ptr<OpKernel>> MakeOr(const KernelInit& init) {
  return MakeBinaryKernel<BoolType, true>(init, [](bool x, bool y) { return x || y; });
}

Result<std::unique_ptr<OpKernel>> MakeXor(const KernelInit& init) {
  return MakeBinaryKernel<BoolType, true>(init, [](bool x, bool y) { return x != y; });
}

Result<std::unique_ptr<OpKernel>> MakeNot(const KernelInit&) {
  return MakeUnaryKernel<BoolType>([](bool x) { return !x; });
}

}  // namespace kiln::cpu
