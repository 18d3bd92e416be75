// GELU fusion: the decomposed GELU that exporters emit becomes one internal
// node Gelu (domain "kiln", attribute approximate = "none" | "tanh"):
// - erf form:  0.5 * x * (1 + erf(x / sqrt(2)))   (x * 0.7071... also matches);
// - tanh form: 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3))), with
//   x^3 as Pow(x, 3) or x * (x * x).
// The 0.5 may multiply x, (1 + erf/tanh) or the product, operands in any
// order. Every intermediate value must be read only by the pattern and not
// be a graph output. The Gelu kernel is Kiln's own; activation-fusing passes
// may absorb it into a preceding MatMul/Gemm.
#pragma once

#include "engine/passes/pass.h"

namespace kiln::passes {

class GeluFusionPass final : public Pass {
 public:
  std::string name() const override { return "gelu_fusion"; }
  Result<bool> Run(ir::Model& model) override;
};

}  // namespace kiln::passes
