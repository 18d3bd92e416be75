#include "engine/runtime/kernel_context.h"

#include "engine/runtime/executor.h"
#include "engine/runtime/output_allocator.h"

namespace kiln {

namespace {
const Value& NoneValue() {
  static const Value none;
  return none;
}
const Tensor& UndefinedTensor() {
  static const Tensor undefined;
  return undefined;
}
}  // namespace

bool KernelContext::has_input(int i) const {
  if (i < 0 || i >= num_inputs()) return false;
  int s = step_.inputs[static_cast<size_t>(i)];
  return s >= 0 && !frame_.slot(s).is_none();
}

const Value& KernelContext::input_value(int i) const {
  if (i < 0 || i >= num_inputs()) return NoneValue();
  int s = step_.inputs[static_cast<size_t>(i)];
  return s < 0 ? NoneValue() : frame_.slot(s);
}

const Tensor& KernelContext::input(int i) const {
  const Value& v = input_value(i);
  return v.is_tensor() ? v.tensor() : UndefinedTensor();
}

Status KernelContext::RequireTensor(int i) const {
  const Value& v = input_value(i);
  if (v.is_tensor()) return Status::Ok();
  std::string which = "input " + std::to_string(i);
  if (i < static_cast<int>(node().inputs.size()) && !node().inputs[static_cast<size_t>(i)].empty())
    which += " ('" + node().inputs[static_cast<size_t>(i)] + "')";
  return Status::InvalidArgument(which + (v.is_none() ? " is missing" : " must be a tensor, got " + v.Describe()));
}

Tensor& KernelContext::AllocateOutput(int i, DataType dtype, Shape shape) {
  if (!wants_output(i)) {
    // Nobody reads this output, but the kernel still writes it: give it
    // scratch storage that lives as long as this context.
    discarded_.push_back(Tensor::Allocate(dtype, std::move(shape)));
    return discarded_.back();
  }
  Value& slot = frame_.slot(step_.outputs[static_cast<size_t>(i)]);
  OutputAllocator* allocator = frame_.allocator();
  if (allocator != nullptr && step_index_ != kUnknownStep) {
    slot = Value(allocator->AllocateOutput(step_index_, i, dtype, std::move(shape)));
  } else {
    slot = Value(Tensor::Allocate(dtype, std::move(shape)));
  }
  return slot.tensor();
}

void KernelContext::SetOutput(int i, Value value) {
  if (!wants_output(i)) return;
  frame_.slot(step_.outputs[static_cast<size_t>(i)]) = std::move(value);
}

ThreadPool* KernelContext::thread_pool() const { return frame_.thread_pool(); }

Result<std::vector<Value>> KernelContext::RunSubgraph(const GraphPlan& plan, std::vector<Value> inputs) {
  return ExecutePlan(plan, std::move(inputs), &frame_);
}

}  // namespace kiln
