// Dead code elimination: removes Identity nodes and inference-mode Dropout
// (rewiring their readers), nodes none of whose outputs is read by another
// node, a subgraph or the graph outputs, and initializers nobody reads
// (initializers that are also graph inputs stay: callers may feed them).
#pragma once

#include "engine/passes/pass.h"

namespace kiln::passes {

class DeadCodeEliminationPass final : public Pass {
 public:
  std::string name() const override { return "dead_code_elimination"; }
  Result<bool> Run(ir::Model& model) override;
};

}  // namespace kiln::passes
