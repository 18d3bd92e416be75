// Dynamic quantization fusion: the standard form that `kiln quantize
// --dynamic` (and ONNX Runtime's quantize_dynamic) writes for a MatMul with
// a constant weight,
//   (xq, xs, xzp) = DynamicQuantizeLinear(x)
//   y = Mul(Cast<float>(MatMulInteger(xq, Wq, xzp [, 0])), Mul(xs, w_scale))
// becomes one kiln::Int8MatMul with dynamic_quantization = 1: x is
// quantized inside the kernel (vectorized) and oneDNN's int8 matmul applies
// the run's scales and zero point, instead of five separate passes over
// the data. Wq must be a constant int8 [K, N] with zero zero points and
// w_scale a constant scalar or [N]; the intermediate values must have no
// other readers. The DynamicQuantizeLinear and scale Mul are left to dead
// code elimination (other MatMuls may share them). matmul_fusion then adds
// a following bias Add and activation. Runs right after qdq_fusion.
#pragma once

#include "engine/passes/pass.h"

namespace kiln::passes {

class DynamicQuantFusionPass final : public Pass {
 public:
  std::string name() const override { return "dynamic_quant_fusion"; }
  Result<bool> Run(ir::Model& model) override;
};

}  // namespace kiln::passes
