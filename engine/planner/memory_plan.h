// MemoryPlan: where every intermediate tensor of one input-shape signature
// lives — an offset into one arena — computed once from a recorded run.
//
// Lifetimes come from the execution order: a tensor lives from the step
// that allocates it to the last step that reads it or any value viewing its
// storage. Tensors whose lifetimes do not overlap share memory; an
// elementwise node may write its output over an input that dies there (in
// place). Tensors reaching a graph output are never planned: the caller
// keeps them after the run, so they are allocated freshly.
//
// The plan is advisory at run time: PlannedAllocator falls back to a fresh
// allocation when a kernel asks for more than was recorded and copies any
// value that views arena memory in a way the recording did not show, so a
// data-dependent shape or alias can never corrupt memory.
//
// Immutable after Build(); shared by concurrent runs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/planner/allocation_recording.h"
#include "engine/runtime/graph_plan.h"

namespace kiln::planner {

class MemoryPlan {
 public:
  // What the plan says about output `output` of one step.
  struct OutputPlacement {
    int64_t offset = -1;        // arena offset of its allocation; -1: allocate freshly
    size_t bytes = 0;           // bytes reserved at offset
    int64_t region_begin = -1;  // arena range its value may view; -1: none (copy if it does)
    size_t region_end = 0;
  };

  struct Stats {
    size_t arena_bytes = 0;      // the planned peak of intermediate tensors
    size_t unshared_bytes = 0;   // the same tensors without any sharing
    size_t fresh_bytes = 0;      // recorded tensors left to fresh allocation (graph outputs)
    int planned_tensors = 0;
    int in_place_tensors = 0;    // planned tensors that overwrite an input
    int fresh_tensors = 0;
  };

  static MemoryPlan Build(const GraphPlan& plan, const Recording& recording);

  // Placement of output `output` of step `step`; a default (fresh) placement
  // for anything the recording did not see.
  const OutputPlacement& Placement(size_t step, int output) const;
  size_t arena_bytes() const { return stats_.arena_bytes; }
  const Stats& stats() const { return stats_; }

 private:
  std::vector<std::vector<OutputPlacement>> placements_;  // [step][output]
  Stats stats_;
};

}  // namespace kiln::planner
