// PlannedAllocator: an OutputAllocator that places outputs in an arena at
// the offsets of a MemoryPlan, for runs whose input shapes were planned.
//
// It keeps every run safe even when the run differs from the recorded one
// (data-dependent shapes, a different If branch): a request larger than
// planned, a string tensor or an unplanned output is allocated freshly;
// after each step, an output value that lies in the arena outside the
// range the plan allows it (an unexpected view) is replaced by a copy; and
// graph outputs never leave the run pointing into the arena.
//
// Ownership: borrows the plan and the arena for one run on one thread.
#pragma once

#include "engine/planner/arena_pool.h"
#include "engine/planner/memory_plan.h"
#include "engine/runtime/graph_plan.h"
#include "engine/runtime/output_allocator.h"

namespace kiln::planner {

class PlannedAllocator final : public OutputAllocator {
 public:
  // `arena` must hold at least plan.arena_bytes().
  PlannedAllocator(const GraphPlan& graph_plan, const MemoryPlan& plan, const Arena& arena)
      : graph_plan_(graph_plan), plan_(plan), arena_(arena) {}

  Tensor AllocateOutput(size_t step, int output, DataType dtype, Shape shape) override;
  void AfterStep(size_t step, Frame& frame) override;
  void BeforeReturn(std::vector<Value>& outputs) override;

  // Outputs allocated freshly / values copied out of the arena so far.
  int fresh_allocations() const { return fresh_allocations_; }
  int copies() const { return copies_; }

 private:
  bool InArena(const Tensor& t) const;
  // Replaces `t` by a copy when it lies in the arena outside [begin, end).
  void Detach(Tensor& t, int64_t begin, size_t end);

  const GraphPlan& graph_plan_;
  const MemoryPlan& plan_;
  const Arena& arena_;
  int fresh_allocations_ = 0;
  int copies_ = 0;
};

}  // namespace kiln::planner
