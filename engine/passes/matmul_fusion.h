// MatMul / Gemm fusion: a float MatMul or Gemm and the nodes that only
// post-process its result become one kiln::FusedMatMul or kiln::FusedGemm
// (kernels/cpu/matmul.cc), executed as one oneDNN matmul with bias and
// post-ops:
//   MatMul -> Add(constant [N] or [1..1, N] or scalar)  FusedMatMul bias (input 2)
//   Gemm without C -> Add(constant broadcasting to [1, N])  FusedGemm C, beta = 1
//   then an activation (fusable_activation.h)
// A kiln::Int8MatMul with a float output (from qdq_fusion) takes the same
// bias Add (as its float_bias input 8) and activation, and stays Int8MatMul.
// Each step needs the previous result to have no other reader and not to
// be a graph output or read by a subgraph. N must be known (B constant or
// of static shape). The fused node takes the place and output of the last
// absorbed node.
#pragma once

#include "engine/passes/pass.h"

namespace kiln::passes {

class MatMulFusionPass final : public Pass {
 public:
  std::string name() const override { return "matmul_fusion"; }
  Result<bool> Run(ir::Model& model) override;
};

}  // namespace kiln::passes
