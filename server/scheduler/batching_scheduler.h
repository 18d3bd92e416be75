// BatchingScheduler: the Scheduler of one model version. Requests wait in a
// PriorityRequestQueue; one worker thread per model instance takes the next
// batch the DynamicBatcher allows (a single request when dynamic batching is
// off), executes it on its own Session and answers every request of it. So
// several instances run truly in parallel, each picking up work as soon as
// it is free.
//
// Queue timeouts are enforced by a timer thread (started with the first
// request that has a timeout), so a request that times out is answered at
// its deadline even while every instance is busy. Nothing polls: every
// thread sleeps on a condition variable with a deadline.
//
// Thread-safety: Enqueue, Drain and QueueDepth may be called from any thread;
// Drain must not be called from a request's `done` callback.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "server/scheduler/batch_assembler.h"
#include "server/scheduler/dynamic_batcher.h"
#include "server/scheduler/request_queue.h"
#include "server/scheduler/response_sequencer.h"
#include "server/scheduler/scheduler.h"

namespace kiln::server {

class BatchingScheduler final : public Scheduler {
 public:
  // Options must have been validated (Scheduler::Create does).
  static std::unique_ptr<BatchingScheduler> Start(const SchedulerOptions& options,
                                                  std::vector<std::shared_ptr<const Session>> instances,
                                                  std::shared_ptr<ModelStatistics> stats);
  ~BatchingScheduler() override;

  void Enqueue(std::unique_ptr<ScheduledRequest> request) override;
  void Drain() override;
  size_t QueueDepth() const override;

 private:
  BatchingScheduler(const SchedulerOptions& options, std::vector<std::shared_ptr<const Session>> instances,
                    std::shared_ptr<ModelStatistics> stats);

  // Queue level (0-based) for a request's priority: 0 or out of range maps
  // to the default level.
  size_t LevelOf(uint64_t priority) const;
  // Blocks until a batch may run; empty once draining left nothing queued.
  std::vector<QueuedRequest> NextBatch();
  void WorkerLoop(size_t instance);
  void TimerLoop();
  void PublishDepthLocked();
  // Answers requests whose queue timeout passed (outside the lock).
  void RejectTimedOut(std::vector<QueuedRequest> expired);
  // Takes the requests whose queue timeout passed by `now` and answers them
  // with `lock` (on mutex_) released meanwhile; false when there were none
  // (the lock was held throughout).
  bool RejectExpiredLocked(std::unique_lock<std::mutex>& lock, SteadyTime now);
  // Answers one request of an executed batch (through the sequencer when
  // responses must keep their order).
  void Respond(QueuedRequest queued, Result<TensorMap> result, const RequestTimings& timings);
  std::string ModelLabel() const;

  const SchedulerOptions options_;
  const bool batching_model_;  // max_batch_size > 0: dim 0 is the batch dimension
  const bool preserve_ordering_;
  const std::vector<std::shared_ptr<const Session>> instances_;
  const std::shared_ptr<ModelStatistics> stats_;
  const DynamicBatcher batcher_;
  ResponseSequencer sequencer_;  // used when preserve_ordering_

  mutable std::mutex mutex_;
  std::condition_variable work_cv_;   // workers: a request arrived, or draining
  std::condition_variable timer_cv_;  // timer: an earlier deadline, or shutting down
  PriorityRequestQueue queue_;        // guarded by mutex_
  uint64_t next_sequence_ = 0;        // guarded by mutex_: next response-order number
  bool stopping_ = false;             // guarded by mutex_: Drain started, no new requests
  bool timer_stop_ = false;           // guarded by mutex_: workers joined, timer may exit

  std::mutex drain_mutex_;            // serialises Drain callers
  std::vector<std::thread> workers_;  // one per instance
  std::thread timer_;                 // guarded by mutex_ until stopping_; started on the first timeout
};

}  // namespace kiln::server
