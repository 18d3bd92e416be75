#include "engine/planner/planned_allocator.h"

#include "engine/planner/tensor_bytes.h"
#include "engine/runtime/executor.h"

namespace kiln::planner {

Tensor PlannedAllocator::AllocateOutput(size_t step, int output, DataType dtype, Shape shape) {
  const MemoryPlan::OutputPlacement& p = plan_.Placement(step, output);
  if (p.offset >= 0 && dtype != DataType::kString) {
    const int64_t bytes = CheckedTensorBytes(dtype, shape);
    if (bytes > 0 && static_cast<size_t>(bytes) <= p.bytes) {
      return Tensor::Borrow(dtype, std::move(shape), arena_.data() + p.offset, arena_.owner());
    }
  }
  ++fresh_allocations_;
  return Tensor::Allocate(dtype, std::move(shape));
}

bool PlannedAllocator::InArena(const Tensor& t) const {
  if (!t.defined() || t.dtype() == DataType::kString || t.byte_size() == 0) return false;
  const char* p = static_cast<const char*>(t.raw_data());
  return p + t.byte_size() > arena_.data() && p < arena_.data() + arena_.size();
}

void PlannedAllocator::Detach(Tensor& t, int64_t begin, size_t end) {
  if (!InArena(t)) return;
  const char* p = static_cast<const char*>(t.raw_data());
  if (begin >= 0 && p >= arena_.data() + begin && p + t.byte_size() <= arena_.data() + end) return;
  t = t.Clone();
  ++copies_;
}

void PlannedAllocator::AfterStep(size_t step, Frame& frame) {
  const auto& outputs = graph_plan_.steps()[step].outputs;
  for (size_t o = 0; o < outputs.size(); ++o) {
    if (outputs[o] < 0) continue;
    Value& v = frame.slot(outputs[o]);
    if (v.is_tensor()) {
      const MemoryPlan::OutputPlacement& p = plan_.Placement(step, static_cast<int>(o));
      Detach(v.tensor(), p.region_begin, p.region_end);
    } else if (v.is_sequence()) {
      for (Tensor& t : v.sequence().items) Detach(t, -1, 0);
    }
  }
}

void PlannedAllocator::BeforeReturn(std::vector<Value>& outputs) {
  for (Value& v : outputs) {
    if (v.is_tensor()) {
      Detach(v.tensor(), -1, 0);
    } else if (v.is_sequence()) {
      for (Tensor& t : v.sequence().items) Detach(t, -1, 0);
    }
  }
}

}  // namespace kiln::planner
