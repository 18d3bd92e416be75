// Executor: runs a GraphPlan over a Frame of value slots. Used by Session
// for the main graph and by control-flow kernels for subgraphs (a subgraph's
// Frame links to its parent to read outer-scope values).
#pragma once

#include <vector>

#include "engine/core/value.h"
#include "engine/runtime/graph_plan.h"

namespace kiln {

class OutputAllocator;
class ThreadPool;

class Frame {
 public:
  // A subgraph's frame inherits its parent's thread pool.
  // `allocator` (may be null: fresh allocations) serves this frame's
  // kernels only; subgraph frames allocate freshly.
  Frame(const GraphPlan& plan, const Frame* parent, ThreadPool* thread_pool, OutputAllocator* allocator = nullptr)
      : plan_(plan),
        parent_(parent),
        thread_pool_(parent != nullptr ? parent->thread_pool() : thread_pool),
        allocator_(parent != nullptr ? nullptr : allocator),
        slots_(static_cast<size_t>(plan.num_slots())) {}

  const GraphPlan& plan() const { return plan_; }
  Value& slot(int i) { return slots_[static_cast<size_t>(i)]; }
  const Value& slot(int i) const { return slots_[static_cast<size_t>(i)]; }
  // Looks a name up here, then in enclosing frames; nullptr when not found.
  const Value* Lookup(const std::string& name) const;
  // The pool kernels may use for intra-op parallelism; null: single-threaded.
  ThreadPool* thread_pool() const { return thread_pool_; }
  // Where kernel outputs of this frame get their storage; null: fresh allocations.
  OutputAllocator* allocator() const { return allocator_; }

 private:
  const GraphPlan& plan_;
  const Frame* parent_;
  ThreadPool* thread_pool_;
  OutputAllocator* allocator_;
  std::vector<Value> slots_;
};

// Runs `plan` on `inputs` (one per graph input, in order; a none Value for
// an input that keeps its initializer default) and returns the graph outputs.
// Kernels get `thread_pool` (may be null) unless `parent` is given, whose
// pool a subgraph uses. `allocator` (may be null) places the outputs of a
// top-level run (see output_allocator.h); it is ignored when `parent` is given.
// `step_micros` (may be null) receives how long each step of plan.steps()
// took, in microseconds (a profile, e.g. kiln bench --profile; a subgraph's
// steps count in the step of the node that ran it).
Result<std::vector<Value>> ExecutePlan(const GraphPlan& plan, std::vector<Value> inputs, const Frame* parent,
                                       ThreadPool* thread_pool = nullptr, OutputAllocator* allocator = nullptr,
                                       std::vector<double>* step_micros = nullptr);

}  // namespace kiln
