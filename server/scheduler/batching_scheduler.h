// BatchingScheduler: the Scheduler of one model version. Requests wait in a
// PriorityRequestQueue; one worker thread per model instance takes the next
// batch the DynamicBatcher allows (a single request when dynamic batching is
// off), executes it on its own Session and answers every request of it. So
// several instances run truly in parallel, each picking up work as soon as
// it is free.
//
// Fast path (SchedulerOptions::execute_on_caller): a request that finds the
// queue empty and an instance idle, and that the batcher would run at once
// and alone, runs on the thread that called Enqueue. Its instance is marked
// busy meanwhile (its worker waits), so at most one execution per instance
// runs at any time; requests arriving meanwhile queue. When its own
// execution is done (and answered), the caller keeps the instance and runs
// the batches that queued meanwhile too, as long as the batcher would run
// them now and its time on the instance stays under
// caller_drain_budget_us; then the worker takes over. Under load this
// saves the worker's wake-up per batch, and the wake-ups of protocol threads
// that answers sent from a worker cause (MLP at concurrency 16 over gRPC:
// 0.95 -> 0.59 context switches per request). Statistics, ordering numbers
// and Drain treat it as any other execution. Models whose executions take
// longer than execute_on_caller_below_us on average keep the handoff.
//
// Queue timeouts are enforced by a timer thread (started with the first
// request that has a timeout), so a request that times out is answered at
// its deadline even while every instance is busy. Nothing polls: every
// thread sleeps on a condition variable with a deadline.
//
// Thread-safety: Enqueue, Drain and QueueDepth may be called from any thread;
// Drain must not be called from a request's `done` callback.
#pragma once

#include <atomic>
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
  // What an instance is doing; guarded by mutex_.
  enum class InstanceState { kIdle, kWorker, kCaller };

  // Blocks until a batch may run on `instance`; empty once draining left
  // nothing queued. Marks the instance busy (kWorker).
  std::vector<QueuedRequest> NextBatch(size_t instance);
  void WorkerLoop(size_t instance);
  // Runs `batch` on `instance` and answers each of its requests.
  void RunBatch(size_t instance, std::vector<QueuedRequest> batch);
  // True when a request arriving now may run on the caller: nothing queued,
  // not draining, and the batcher would not wait for more requests. Sets
  // `instance` to an idle one.
  bool CanRunOnCallerLocked(size_t* instance) const;
  // The fast path: runs `entry` on the calling thread on `instance` (already
  // marked kCaller), then frees the instance.
  void RunOnCaller(size_t instance, QueuedRequest entry);
  // The next batch a caller that began running at `began` may run too:
  // requests wait that the batcher would run now, and the caller's time
  // budget (caller_drain_budget_us) leaves room for one more execution.
  // Empty otherwise.
  std::vector<QueuedRequest> TakeCallerBatchLocked(std::chrono::steady_clock::time_point began);
  // Takes the first `requests` queued requests as the next batch to run:
  // numbers them for preserve_ordering and publishes the new queue depth.
  std::vector<QueuedRequest> TakeBatchLocked(size_t requests);
  void NotifyWorkers();
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
  const bool caller_path_allowed_;    // execute_on_caller, and the batcher never waits for more
  // Moving average of an execution's duration (hook included), ns; 0 =
  // none yet. Written after each execution, read by Enqueue; relaxed: a
  // lost update between instances only nudges the average.
  std::atomic<uint64_t> average_execution_ns_{0};
  std::vector<InstanceState> instance_state_;  // guarded by mutex_, one per instance
  size_t running_on_callers_ = 0;     // guarded by mutex_: fast-path executions in progress
  std::condition_variable callers_done_cv_;  // Drain: running_on_callers_ reached 0

  std::mutex drain_mutex_;            // serialises Drain callers
  std::vector<std::thread> workers_;  // one per instance
  std::thread timer_;                 // guarded by mutex_ until stopping_; started on the first timeout
};

}  // namespace kiln::server
