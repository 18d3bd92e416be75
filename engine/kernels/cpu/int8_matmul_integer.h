// A oneDNN (VNNI) MatMulInteger for the common shape of dynamically
// quantized models: A uint8/int8 [..., K] with a scalar zero point known
// only at run time (DynamicQuantizeLinear's output), B a constant int8 [K, N]
// with zero zero points; int32 output. Other cases go to `fallback`.
#pragma once

#include <memory>

#include "engine/core/status.h"
#include "engine/runtime/op_kernel.h"

namespace kiln::cpu {

// The fast kernel when `init`'s B is constant int8 2-D with zero zero
// points, else nullptr. Inputs that turn out not to fit at run time (another
// A type, per-row zero points) are computed by `fallback`.
std::unique_ptr<OpKernel> MaybeMakeDnnlMatMulInteger(const KernelInit& init, std::unique_ptr<OpKernel> fallback);

}  // namespace kiln::cpu
