#include "engine/runtime/executor.h"

#include <chrono>
#include <new>

#include "engine/runtime/kernel_context.h"
#include "engine/runtime/output_allocator.h"

namespace kiln {

const Value* Frame::Lookup(const std::string& name) const {
  int s = plan_.SlotOf(name);
  if (s >= 0) return &slots_[static_cast<size_t>(s)];
  return parent_ ? parent_->Lookup(name) : nullptr;
}

Result<std::vector<Value>> ExecutePlan(const GraphPlan& plan, std::vector<Value> inputs, const Frame* parent,
                                       ThreadPool* thread_pool, OutputAllocator* allocator,
                                       std::vector<double>* step_micros) {
  Frame frame(plan, parent, thread_pool, allocator);
  for (const auto& [s, tensor] : plan.constants()) frame.slot(s) = Value(tensor);
  for (const auto& [s, name] : plan.outer_reads()) {
    const Value* v = parent ? parent->Lookup(name) : nullptr;
    if (v == nullptr) return Status::Internal("value '" + name + "' from an enclosing graph is not available");
    frame.slot(s) = *v;
  }
  const auto& input_slots = plan.input_slots();
  for (size_t i = 0; i < input_slots.size() && i < inputs.size(); ++i) {
    bool keeps_default = inputs[i].is_none() && !frame.slot(input_slots[i]).is_none();
    if (!keeps_default) frame.slot(input_slots[i]) = std::move(inputs[i]);
  }
  const auto& steps = plan.steps();
  if (step_micros != nullptr) step_micros->assign(steps.size(), 0.0);
  for (size_t k = 0; k < steps.size(); ++k) {
    const GraphPlan::Step& step = steps[k];
    KernelContext ctx(frame, step, k);
    Status status;
    using Clock = std::chrono::steady_clock;
    const Clock::time_point started = step_micros != nullptr ? Clock::now() : Clock::time_point();
    try {
      status = step.kernel->Compute(ctx);
    } catch (const std::bad_alloc&) {
      status = Status::ResourceExhausted("out of memory");
    } catch (const std::exception& e) {
      status = Status::Internal(std::string("unexpected error: ") + e.what());
    }
    if (step_micros != nullptr) {
      (*step_micros)[k] = std::chrono::duration<double, std::micro>(Clock::now() - started).count();
    }
    if (!status.ok()) return status.WithContext("node " + step.node->Describe());
    if (frame.allocator() != nullptr) frame.allocator()->AfterStep(k, frame);
    for (int s : step.release) frame.slot(s) = Value();
  }
  std::vector<Value> outputs;
  outputs.reserve(plan.output_slots().size());
  for (int s : plan.output_slots()) outputs.push_back(frame.slot(s));
  if (frame.allocator() != nullptr) frame.allocator()->BeforeReturn(outputs);
  return outputs;
}

}  // namespace kiln
