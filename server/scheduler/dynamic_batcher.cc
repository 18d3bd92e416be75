#include "server/scheduler/dynamic_batcher.h"

#include <algorithm>

#include "server/scheduler/batch_assembler.h"

namespace kiln::server {

DynamicBatcher::DynamicBatcher(int64_t max_batch_size, const DynamicBatchingOptions* options) {
  merging_ = options != nullptr && max_batch_size > 0;
  if (!merging_) return;
  limit_ = max_batch_size;
  preferred_ = options->preferred_batch_sizes;
  if (!preferred_.empty()) limit_ = std::min(limit_, *std::max_element(preferred_.begin(), preferred_.end()));
  max_delay_ = std::chrono::microseconds(options->max_queue_delay_us);
}

bool DynamicBatcher::IsPreferred(int64_t batch_size) const {
  return std::find(preferred_.begin(), preferred_.end(), batch_size) != preferred_.end();
}

BatchDecision DynamicBatcher::Decide(const PriorityRequestQueue& queue, SteadyTime now, bool flush) const {
  if (queue.empty()) return {};
  if (!merging_) return {1, std::nullopt};

  size_t count = 0;
  int64_t total = 0;
  size_t best_preferred = 0;  // request count of the largest preferred-size prefix
  bool can_grow = true;
  const TensorMap* first = nullptr;
  SteadyTime oldest{};
  queue.Visit([&](const QueuedRequest& queued) {
    const TensorMap& inputs = queued.request->inputs;
    if (count == 0) {
      first = &inputs;
      oldest = queued.enqueued;
    } else if (total + queued.batch_size > limit_ || !CanMergeInputs(*first, inputs)) {
      can_grow = false;
      return false;
    }
    total += queued.batch_size;
    ++count;
    if (IsPreferred(total)) best_preferred = count;
    return total < limit_;
  });

  if (flush || total >= limit_ || !can_grow || max_delay_.count() == 0) return {count, std::nullopt};
  if (best_preferred > 0) return {best_preferred, std::nullopt};
  const SteadyTime due = oldest + max_delay_;
  if (now >= due) return {count, std::nullopt};
  return {0, due};
}

}  // namespace kiln::server
