// Session: a loaded, compiled model ready to run — the engine's public entry
// point. Create() loads and checks the model and builds kernels once; Run()
// validates the feeds against the model's inputs and executes the graph.
// Run() is thread-safe: one Session serves concurrent callers.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/core/value.h"
#include "engine/ir/graph.h"
#include "engine/onnx/model_loader.h"
#include "engine/passes/pass_manager.h"
#include "engine/runtime/graph_plan.h"

namespace kiln {

struct SessionOptions {
  onnx_import::LoadOptions load;
  passes::PassOptions optimize;  // graph passes run after import (all on by default)
};

class Session {
 public:
  // Loads the ONNX model at `path`. NotFound / InvalidArgument for a missing
  // or broken file, Unimplemented when it needs something Kiln lacks.
  static Result<std::unique_ptr<Session>> Create(const std::string& path, const SessionOptions& options = {});
  // Compiles an already imported model.
  static Result<std::unique_ptr<Session>> Create(ir::Model model, const SessionOptions& options = {});

  const ir::Model& model() const { return *model_; }
  // Inputs a caller must (or may, when they have defaults) feed.
  std::vector<const ir::ValueInfo*> inputs() const;
  const std::vector<ir::ValueInfo>& outputs() const { return model_->graph.outputs; }

  // Runs the model. `feeds` maps input names to values; inputs with an
  // initializer default may be left out. Returns the graph outputs in the
  // order of outputs(). InvalidArgument names any unknown, missing or
  // mistyped input.
  Result<std::vector<Value>> Run(const std::map<std::string, Value>& feeds) const;

 private:
  Session(std::unique_ptr<ir::Model> model, std::shared_ptr<const GraphPlan> plan)
      : model_(std::move(model)), plan_(std::move(plan)) {}

  Status CheckFeed(const ir::ValueInfo& input, const Value& value) const;

  std::unique_ptr<ir::Model> model_;          // owns the graph that plan_ points into
  std::shared_ptr<const GraphPlan> plan_;
};

}  // namespace kiln
