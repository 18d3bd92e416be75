// Constant folding: evaluates once, with Kiln's own kernels, every node whose
// inputs are all constants (initializers that are not graph inputs) and
// replaces it by initializers holding its outputs. Shape of a tensor whose
// shape is fully static folds too, and so does Gather(Shape(x), indices)
// when the gathered dimensions of x are static. Random operators, nodes with subgraphs,
// nodes producing graph outputs, nodes whose outputs nobody reads (dead code,
// for dead_code_elimination) and results above a size limit are left alone.
#pragma once

#include <cstddef>

#include "engine/passes/pass.h"

namespace kiln::passes {

class ConstantFoldingPass final : public Pass {
 public:
  static constexpr size_t kDefaultMaxOutputBytes = size_t{16} << 20;

  explicit ConstantFoldingPass(size_t max_output_bytes = kDefaultMaxOutputBytes) : max_output_bytes_(max_output_bytes) {}

  std::string name() const override { return "constant_folding"; }
  Result<bool> Run(ir::Model& model) override;

 private:
  size_t max_output_bytes_;
};

}  // namespace kiln::passes
