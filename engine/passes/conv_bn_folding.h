// Conv + BatchNormalization folding: an inference-mode BatchNormalization
// that is the only reader of a Conv with constant weights is folded into new
// Conv weights and bias (float32 and float64), and removed.
//   y = scale * (conv(x, W) + B - mean) / sqrt(var + eps) + bias
//     = conv(x, W * s) + (B - mean) * s + bias,   s = scale / sqrt(var + eps)
#pragma once

#include "engine/passes/pass.h"

namespace kiln::passes {

class ConvBatchNormFoldingPass final : public Pass {
 public:
  std::string name() const override { return "conv_bn_folding"; }
  Result<bool> Run(ir::Model& model) override;
};

}  // namespace kiln::passes
