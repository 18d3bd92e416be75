// Bf16ConversionPass: for `--precision bf16`, moves the float32 operators
// that dominate compute to bfloat16 kernels: Conv (2-D, constant weights)
// -> kiln::Bf16Conv, MatMul / Gemm with a constant 2-D weight ->
// kiln::Bf16MatMul, each absorbing a following Relu. Inputs and weights are
// rounded to bf16, accumulation and outputs stay float32; everything else
// keeps running in float32. Not part of the default pipeline: the Session
// runs it before the other passes when asked for bf16 (and only on CPUs with
// AVX-512 BF16, see kernels/cpu/bf16_support.h).
#pragma once

#include "engine/passes/pass.h"

namespace kiln::passes {

class Bf16ConversionPass : public Pass {
 public:
  std::string name() const override { return "bf16_conversion"; }
  Result<bool> Run(ir::Model& model) override;
};

}  // namespace kiln::passes
