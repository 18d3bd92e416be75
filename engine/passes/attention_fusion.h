// Attention fusion: scaled dot-product attention written out as
//   MatMul(Q, K^T) -> Div/Mul by a scalar (optional) -> Add(mask) (optional)
//     -> Softmax(last axis) -> MatMul(., V)
// on 4-D float tensors becomes one internal node Attention (domain "kiln",
// see engine/kernels/cpu/attention.cc). Transposes producing Q, K^T and V
// (the head split) are folded into the node's q_perm/k_perm/v_perm, and a
// Transpose that is the only reader of the result (the head merge) into its
// out_perm; those Transposes are left for dead code elimination when nothing
// else reads them. Scores, scaled scores, masked scores and probabilities
// must be read only by the pattern and must not be graph outputs.
#pragma once

#include "engine/passes/pass.h"

namespace kiln::passes {

class AttentionFusionPass final : public Pass {
 public:
  std::string name() const override { return "attention_fusion"; }
  Result<bool> Run(ir::Model& model) override;
};

}  // namespace kiln::passes
