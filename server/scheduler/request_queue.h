// PriorityRequestQueue: the requests of one model version waiting to run,
// in priority levels with Triton's queue policies (ModelQueuePolicy).
//
// Levels are served in order (level 1 first); inside a level, requests are
// FIFO, and requests whose queue timeout passed under the DELAY action wait
// behind the level's other requests. Each level may be bounded
// (max_queue_size). Deadlines are indexed so that the earliest one is known
// at once and expired requests are found without scanning the queue.
//
// Not thread-safe: the owning scheduler guards it with its mutex.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "server/scheduler/scheduler.h"

namespace kiln::server {

using SteadyTime = std::chrono::steady_clock::time_point;

// A request in the queue, with what the scheduler learned about it.
struct QueuedRequest {
  std::unique_ptr<ScheduledRequest> request;
  SteadyTime enqueued;
  int64_t batch_size = 1;  // items this request contributes to a batch
  uint64_t timeout_us = 0;  // its queue timeout (0 = none), for error messages
  uint64_t sequence = 0;    // position in response order (preserve_ordering)
};

class PriorityRequestQueue {
 public:
  // One policy per level, level 1 first (at least one).
  explicit PriorityRequestQueue(std::vector<QueuePolicy> level_policies);

  size_t levels() const { return levels_.size(); }
  const QueuePolicy& policy(size_t level_index) const { return levels_[level_index].policy; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t LevelSize(size_t level_index) const;
  // True when the level's max_queue_size is reached.
  bool LevelFull(size_t level_index) const;

  // The queue timeout of a request asking for `requested_us` (0 = none) at
  // `level_index`: the policy's default, lowered to the request's own value
  // when the policy allows overrides. 0 = no timeout.
  uint64_t TimeoutFor(size_t level_index, uint64_t requested_us) const;

  // Appends to its level (the caller checked LevelFull). The deadline is
  // `entry.enqueued + entry.timeout_us` when the timeout is not 0.
  void Push(size_t level_index, QueuedRequest entry);

  // The earliest deadline of a queued request; nullopt when none has one.
  std::optional<SteadyTime> NextDeadline() const;
  // Handles every request whose deadline is at or before `now`: those under
  // REJECT are removed and returned (oldest deadline first), those under
  // DELAY move behind their level's other requests and lose their deadline.
  std::vector<QueuedRequest> ExpireDue(SteadyTime now);

  // Visits queued requests in service order until `visit` returns false.
  void Visit(const std::function<bool(const QueuedRequest&)>& visit) const;
  // Removes and returns the first `count` requests in service order.
  std::vector<QueuedRequest> TakeFront(size_t count);

 private:
  struct Node;
  using NodeList = std::list<Node>;
  using DeadlineIndex = std::multimap<SteadyTime, std::pair<size_t, NodeList::iterator>>;
  struct Node {
    QueuedRequest entry;
    std::optional<DeadlineIndex::iterator> deadline;  // set while it can still time out
  };
  struct Level {
    QueuePolicy policy;
    NodeList pending;  // FIFO
    NodeList delayed;  // timed out under DELAY: served after `pending`
  };

  std::vector<Level> levels_;
  DeadlineIndex deadlines_;  // every node with a deadline
  size_t size_ = 0;
};

}  // namespace kiln::server
