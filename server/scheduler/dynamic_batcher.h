// DynamicBatcher: decides, from what is queued, which requests run next as
// one engine call and when — Triton's dynamic batching rules:
//  - requests are merged in service order, only while their non-batch
//    dimensions agree with the first one's and the total stays within the
//    limit (max_batch_size, or the largest preferred_batch_size if set);
//  - a batch that reached the limit, or cannot grow because the next request
//    does not fit, runs at once;
//  - otherwise the largest preferred batch size available runs at once;
//  - otherwise the batcher waits for more requests until the oldest one has
//    waited max_queue_delay_microseconds, then runs what it has.
// With batching off (no dynamic_batching, or max_batch_size 0) every request
// runs on its own, in service order.
//
// Stateless apart from its options: Decide() may be called from any thread
// under the lock that guards the queue.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "server/scheduler/request_queue.h"
#include "server/scheduler/scheduler.h"

namespace kiln::server {

struct BatchDecision {
  // Requests to take from the front of the queue now; 0 = wait.
  size_t requests = 0;
  // When waiting: the time the decision changes by itself (the queue delay
  // runs out); nullopt = only a new request can change it.
  std::optional<SteadyTime> wait_until;
};

class DynamicBatcher {
 public:
  // `options` null or `max_batch_size` 0: no merging.
  DynamicBatcher(int64_t max_batch_size, const DynamicBatchingOptions* options);

  // `flush`: run whatever can be batched now without waiting (draining).
  BatchDecision Decide(const PriorityRequestQueue& queue, SteadyTime now, bool flush) const;

 private:
  bool IsPreferred(int64_t batch_size) const;

  bool merging_ = false;
  int64_t limit_ = 1;  // largest batch formed (items)
  std::vector<int64_t> preferred_;
  std::chrono::microseconds max_delay_{0};
};

}  // namespace kiln::server
