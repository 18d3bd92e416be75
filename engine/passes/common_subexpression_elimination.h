// Common subexpression elimination: nodes with the same operator, domain,
// attributes and inputs compute the same outputs; later copies are removed
// and their readers read the first one's outputs. Random operators and nodes
// with subgraphs are never merged. Small constants with equal contents are
// merged first, so that nodes reading copies of one constant match.
#pragma once

#include "engine/passes/pass.h"

namespace kiln::passes {

class CommonSubexpressionEliminationPass final : public Pass {
 public:
  std::string name() const override { return "common_subexpression_elimination"; }
  Result<bool> Run(ir::Model& model) override;
};

}  // namespace kiln::passes
