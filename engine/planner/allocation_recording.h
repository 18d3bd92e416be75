// AllocationRecorder: an OutputAllocator for the first run of a new input
// shape. It allocates every output freshly (like a run without a planner)
// and records what the memory plan needs: the size, type and shape of each
// tensor a kernel allocated, and after every step which recorded allocation
// each output value's storage lies in — its own, or another one it views
// (Reshape, Identity, Squeeze share storage with their input). Sizes come
// from running rather than from shape inference, so data-dependent shapes
// are measured, not guessed; the plan built from them still checks every
// size and alias again at run time (planned_allocator.h).
//
// Ownership: one recorder per run, used on the run's thread only.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "engine/runtime/graph_plan.h"
#include "engine/runtime/output_allocator.h"

namespace kiln::planner {

struct RecordedAllocation {
  size_t step = 0;   // index in GraphPlan::steps()
  int output = 0;    // output index of that step's node
  DataType dtype = DataType::kUndefined;
  Shape shape;
  size_t bytes = 0;  // > 0: empty and string tensors are never recorded
};

// A value slot whose storage lay in a recorded allocation after its step.
struct SlotReference {
  int slot = -1;
  size_t allocation = 0;  // index into Recording::allocations
  bool whole = false;     // the value is exactly the allocation (same start, size and shape)
};

struct Recording {
  std::vector<RecordedAllocation> allocations;
  std::vector<SlotReference> references;
};

class AllocationRecorder final : public OutputAllocator {
 public:
  explicit AllocationRecorder(const GraphPlan& plan) : plan_(plan) {}

  Tensor AllocateOutput(size_t step, int output, DataType dtype, Shape shape) override;
  void AfterStep(size_t step, Frame& frame) override;
  void BeforeReturn(std::vector<Value>& outputs) override {}

  const Recording& recording() const { return recording_; }

 private:
  // The live allocation containing [data, data + bytes), or -1.
  int64_t Find(const void* data, size_t bytes) const;
  void Reference(int slot, const Tensor& t);

  const GraphPlan& plan_;
  Recording recording_;
  // Start address -> (end address, allocation index) of allocations whose
  // memory has not been handed out again (an overlapping newer allocation
  // evicts the entries it overlaps: their storage was freed).
  std::map<uintptr_t, std::pair<uintptr_t, size_t>> ranges_;
};

}  // namespace kiln::planner
