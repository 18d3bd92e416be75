#include "engine/planner/allocation_recording.h"

#include "engine/planner/tensor_bytes.h"
#include "engine/runtime/executor.h"

namespace kiln::planner {
namespace {

// Tensors at least this large get their own mapping in a recording run.
constexpr int64_t kMappedBytes = 256 * 1024;

}  // namespace

Tensor AllocationRecorder::AllocateOutput(size_t step, int output, DataType dtype, Shape shape) {
  const int64_t bytes = dtype == DataType::kString ? -1 : CheckedTensorBytes(dtype, shape);
  Tensor t = bytes >= kMappedBytes ? AllocateMapped(dtype, std::move(shape), static_cast<size_t>(bytes))
                                   : Tensor::Allocate(dtype, std::move(shape));
  if (t.byte_size() == 0 || dtype == DataType::kString) return t;
  const auto begin = reinterpret_cast<uintptr_t>(t.raw_data());
  const uintptr_t end = begin + t.byte_size();
  // Entries overlapping the new block describe storage freed since.
  auto it = ranges_.lower_bound(begin);
  if (it != ranges_.begin() && std::prev(it)->second.first > begin) --it;
  while (it != ranges_.end() && it->first < end) it = ranges_.erase(it);
  ranges_[begin] = {end, recording_.allocations.size()};
  recording_.allocations.push_back({step, output, dtype, t.shape(), t.byte_size()});
  return t;
}

int64_t AllocationRecorder::Find(const void* data, size_t bytes) const {
  const auto p = reinterpret_cast<uintptr_t>(data);
  auto it = ranges_.upper_bound(p);
  if (it == ranges_.begin()) return -1;
  --it;
  if (p + bytes > it->second.first) return -1;
  return static_cast<int64_t>(it->second.second);
}

void AllocationRecorder::Reference(int slot, const Tensor& t) {
  if (!t.defined() || t.dtype() == DataType::kString || t.byte_size() == 0) return;
  int64_t a = Find(t.raw_data(), t.byte_size());
  if (a < 0) return;
  const RecordedAllocation& alloc = recording_.allocations[static_cast<size_t>(a)];
  const bool whole = ranges_.count(reinterpret_cast<uintptr_t>(t.raw_data())) > 0 && t.byte_size() == alloc.bytes &&
                     t.shape() == alloc.shape && t.dtype() == alloc.dtype;
  recording_.references.push_back({slot, static_cast<size_t>(a), whole});
}

void AllocationRecorder::AfterStep(size_t step, Frame& frame) {
  for (int slot : plan_.steps()[step].outputs) {
    if (slot < 0) continue;
    const Value& v = frame.slot(slot);
    if (v.is_tensor()) {
      Reference(slot, v.tensor());
    } else if (v.is_sequence()) {
      for (const Tensor& t : v.sequence().items) Reference(slot, t);
    }
  }
}

}  // namespace kiln::planner
