// Reshape chains: Reshape, Squeeze, Unsqueeze and Flatten only reinterpret a
// tensor's shape, so a chain of them equals one Reshape of the chain's input.
// - a node of the family whose output shape is fully static and whose input
//   comes from another family node becomes Reshape(chain input, shape);
// - a Reshape to a constant shape that does not copy input dimensions (no 0
//   entries, or allowzero) reads the chain input directly;
// - a family node whose static output shape equals its static input shape is
//   removed.
// Nodes left without readers are removed by dead code elimination.
#pragma once

#include "engine/passes/pass.h"

namespace kiln::passes {

class ReshapeChainPass final : public Pass {
 public:
  std::string name() const override { return "reshape_chain"; }
  Result<bool> Run(ir::Model& model) override;
};

}  // namespace kiln::passes
