// OutputAllocator: decides where the outputs of a run's kernels live.
//
// The executor asks it for the storage of every output a kernel allocates
// (KernelContext::AllocateOutput) and tells it when each step has finished,
// so that an implementation can record sizes and lifetimes (the memory
// planner's first run of a shape) or hand out slices of a pre-planned arena
// (every later run) and repair any value that would outlive its slice.
// Without one, outputs are freshly allocated.
//
// Ownership: owned by whoever calls ExecutePlan, used by one run on one
// thread (the thread that runs the steps), never shared between runs.
#pragma once

#include <cstddef>
#include <vector>

#include "engine/core/value.h"

namespace kiln {

class Frame;

class OutputAllocator {
 public:
  virtual ~OutputAllocator() = default;

  // Storage for output `output` of step `step` (its index in
  // GraphPlan::steps()). Must behave like Tensor::Allocate for bad shapes
  // (throw std::bad_alloc / std::invalid_argument) and never return less
  // than the shape needs.
  virtual Tensor AllocateOutput(size_t step, int output, DataType dtype, Shape shape) = 0;
  // Called after step `step` ran successfully, before any value is released.
  virtual void AfterStep(size_t step, Frame& frame) = 0;
  // Called with the graph outputs just before ExecutePlan returns them.
  virtual void BeforeReturn(std::vector<Value>& outputs) = 0;
};

}  // namespace kiln
