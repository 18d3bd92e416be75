// Pass: one rewrite of a model's main graph that keeps its results unchanged
// (to floating-point rounding) and usually makes it cheaper to run. Passes
// are run by the PassManager (pass_manager.h), repeatedly until none changes
// anything.
#pragma once

#include <string>

#include "engine/core/status.h"
#include "engine/ir/graph.h"

namespace kiln::passes {

class Pass {
 public:
  virtual ~Pass() = default;
  // Short snake_case name, used by --disable-pass and in reports.
  virtual std::string name() const = 0;
  // Rewrites `model`; true when something changed. An error means the model
  // is malformed in a way the runtime would refuse as well.
  virtual Result<bool> Run(ir::Model& model) = 0;
};

}  // namespace kiln::passes
