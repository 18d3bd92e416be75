// Transpose merging: Transpose(Transpose(x, p1), p2) is Transpose(x, q) with
// q[i] = p1[p2[i]]; a Transpose whose permutation is the identity is removed.
// Nodes left without readers are removed by dead code elimination.
#pragma once

#include "engine/passes/pass.h"

namespace kiln::passes {

class TransposeMergePass final : public Pass {
 public:
  std::string name() const override { return "transpose_merge"; }
  Result<bool> Run(ir::Model& model) override;
};

}  // namespace kiln::passes
