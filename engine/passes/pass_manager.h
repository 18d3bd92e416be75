// PassManager: runs Kiln's graph passes in order, repeating the whole list
// until a round changes nothing (at most PassOptions::max_rounds rounds).
// Passes rewrite the main graph only; values read by subgraphs are kept, and
// graph outputs keep their names.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/passes/pass.h"

namespace kiln::passes {

struct PassOptions {
  bool enabled = true;                      // false: run no pass (`--no-opt`)
  std::vector<std::string> disabled;        // pass names to skip (`--disable-pass NAME`)
  int max_rounds = 8;
};

// What a run did: the passes that changed something, in first-change order.
struct PassReport {
  std::vector<std::string> changed;
  int rounds = 0;
};

class PassManager {
 public:
  // The default pipeline minus the disabled passes. InvalidArgument for an
  // unknown name in options.disabled.
  static Result<PassManager> Create(const PassOptions& options);
  // Names of the default pipeline, in order.
  static std::vector<std::string> PassNames();

  explicit PassManager(std::vector<std::unique_ptr<Pass>> passes, int max_rounds = 8)
      : passes_(std::move(passes)), max_rounds_(max_rounds) {}

  Result<PassReport> Run(ir::Model& model) const;

 private:
  std::vector<std::unique_ptr<Pass>> passes_;
  int max_rounds_;
};

// Convenience: Create(options) then Run(model).
Result<PassReport> OptimizeModel(ir::Model& model, const PassOptions& options);

}  // namespace kiln::passes
