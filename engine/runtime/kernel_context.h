// KernelContext: a kernel's view of one execution of its node — its input
// values, where its outputs go, and a way to run subgraphs in the current
// scope. Created by the executor for each step; not shared between threads.
#pragma once

#include <deque>
#include <vector>

#include "engine/core/value.h"
#include "engine/ir/graph.h"
#include "engine/runtime/graph_plan.h"

namespace kiln {

class Frame;
class ThreadPool;

class KernelContext {
 public:
  KernelContext(Frame& frame, const GraphPlan::Step& step, int64_t opset)
      : frame_(frame), step_(step), opset_(opset) {}
  // `step_index`: the step's index in the frame's GraphPlan::steps(), which
  // lets the frame's OutputAllocator place outputs from a memory plan.
  KernelContext(Frame& frame, const GraphPlan::Step& step, size_t step_index)
      : frame_(frame), step_(step), opset_(step.opset), step_index_(step_index) {}

  const ir::Node& node() const { return *step_.node; }
  int64_t opset() const { return opset_; }

  int num_inputs() const { return static_cast<int>(step_.inputs.size()); }
  // True when input i is given (not omitted) and is not an absent optional.
  bool has_input(int i) const;
  // The value of input i; a none Value when omitted.
  const Value& input_value(int i) const;
  // Input i as a tensor. Returns an undefined tensor when omitted or not a tensor.
  const Tensor& input(int i) const;
  // Checks that input i is a present tensor, naming the node and input otherwise.
  Status RequireTensor(int i) const;

  int num_outputs() const { return static_cast<int>(step_.outputs.size()); }
  // False when the model leaves output i unnamed (nobody reads it).
  bool wants_output(int i) const { return i < num_outputs() && step_.outputs[static_cast<size_t>(i)] >= 0; }
  // Allocates output i (uninitialised numeric storage) and returns it. The
  // storage may be a slice of the run's memory arena and may even be the
  // storage of an input whose last reader is this node, when the kernel is
  // declared in-place capable (OpKernel::InPlaceInput, planner/in_place_ops).
  // Kernels must not keep the tensor beyond Compute except through outputs.
  Tensor& AllocateOutput(int i, DataType dtype, Shape shape);
  void SetOutput(int i, Value value);

  // The session's pool for intra-op parallelism (also inside subgraphs);
  // null when this run is single-threaded (a 1-thread session, or a run the
  // ThreadCountChooser put on one thread). Use with ParallelFor of
  // thread_pool.h, which accepts null.
  ThreadPool* thread_pool() const;

  // Runs a subgraph compiled with KernelInit::compile_subgraph; it sees this
  // node's scope. Returns the subgraph's outputs in order.
  Result<std::vector<Value>> RunSubgraph(const GraphPlan& plan, std::vector<Value> inputs);

 private:
  Frame& frame_;
  const GraphPlan::Step& step_;
  int64_t opset_;
  size_t step_index_ = kUnknownStep;  // index in the plan's steps; kUnknownStep: allocate freshly
  static constexpr size_t kUnknownStep = static_cast<size_t>(-1);
  std::deque<Tensor> discarded_;  // outputs the model does not use (stable addresses)
};

}  // namespace kiln
