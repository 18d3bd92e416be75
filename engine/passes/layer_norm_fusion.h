// LayerNormalization fusion: the decomposition exporters emit below opset 17,
//   mean = ReduceMean(x, axes, keepdims=1); d = Sub(x, mean)
//   var  = ReduceMean(Pow(d, 2) | Mul(d, d), axes, keepdims=1)
//   n    = Div(d, Sqrt(Add(var, epsilon)))
//   y    = Add(Mul(n, scale), bias)        (Mul and Add optional, either operand order)
// becomes one LayerNormalization(x, scale, bias) with axis = the first
// reduced axis, when the reduced axes are the trailing ones, epsilon is a
// scalar constant and scale/bias are constants no larger than the normalized
// shape. Without a Mul the scale is a constant 1. Intermediate values must be
// read only by the pattern and not be graph outputs.
#pragma once

#include "engine/passes/pass.h"

namespace kiln::passes {

class LayerNormFusionPass final : public Pass {
 public:
  std::string name() const override { return "layer_norm_fusion"; }
  Result<bool> Run(ir::Model& model) override;
};

}  // namespace kiln::passes
