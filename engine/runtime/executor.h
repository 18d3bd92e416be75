// Executor: runs a GraphPlan over a Frame of value slots. Used by Session
// for the main graph and by control-flow kernels for subgraphs (a subgraph's
// Frame links to its parent to read outer-scope values).
#pragma once

#include <vector>

#include "engine/core/value.h"
#include "engine/runtime/graph_plan.h"

namespace kiln {

class Frame {
 public:
  Frame(const GraphPlan& plan, const Frame* parent) : plan_(plan), parent_(parent), slots_(static_cast<size_t>(plan.num_slots())) {}

  const GraphPlan& plan() const { return plan_; }
  Value& slot(int i) { return slots_[static_cast<size_t>(i)]; }
  const Value& slot(int i) const { return slots_[static_cast<size_t>(i)]; }
  // Looks a name up here, then in enclosing frames; nullptr when not found.
  const Value* Lookup(const std::string& name) const;

 private:
  const GraphPlan& plan_;
  const Frame* parent_;
  std::vector<Value> slots_;
};

// Runs `plan` on `inputs` (one per graph input, in order; a none Value for
// an input that keeps its initializer default) and returns the graph outputs.
Result<std::vector<Value>> ExecutePlan(const GraphPlan& plan, std::vector<Value> inputs, const Frame* parent);

}  // namespace kiln
