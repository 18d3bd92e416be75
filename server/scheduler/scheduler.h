// Scheduler: decides when and on which model instance each request of one
// model version runs — on its own, or merged with others into a dynamic
// batch — and protects the model from overload with bounded queues.
//
// The core (server/core) creates one Scheduler per loaded model version,
// gives it the version's instances (engine Sessions, one per
// instance_group count) and validated requests; the scheduler runs them and
// reports outcomes and timings. Thread-safe: Enqueue may be called from any
// thread; callbacks run on scheduler threads, or inline on the thread that
// called Enqueue — for an immediate rejection, and for a request that ran
// there at once (SchedulerOptions::execute_on_caller).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/status.h"
#include "engine/core/tensor.h"
#include "engine/runtime/session.h"
#include "server/core/model_statistics.h"

namespace kiln::server {

// Triton's ModelQueuePolicy.
struct QueuePolicy {
  enum class TimeoutAction { kReject, kDelay };
  TimeoutAction timeout_action = TimeoutAction::kReject;
  uint64_t default_timeout_us = 0;  // 0 = requests never time out in the queue
  bool allow_timeout_override = false;
  uint32_t max_queue_size = 0;  // 0 = unbounded (the server-wide cap still applies)
};

// Triton's ModelDynamicBatching, typed.
struct DynamicBatchingOptions {
  std::vector<int64_t> preferred_batch_sizes;
  uint64_t max_queue_delay_us = 0;
  bool preserve_ordering = false;
  uint64_t priority_levels = 0;         // 0 = one level
  uint64_t default_priority_level = 0;  // used for requests without priority
  QueuePolicy default_queue_policy;
  std::map<uint64_t, QueuePolicy> priority_queue_policy;  // by level
};

struct SchedulerOptions {
  std::string model_name;
  std::string model_version;
  // > 0: the first dimension of every input and output is the batch
  // dimension and requests may be merged up to this many items.
  int64_t max_batch_size = 0;
  // Absent: every request runs on its own (still queued, FIFO, bounded by
  // max_queue_size below).
  std::optional<DynamicBatchingOptions> dynamic_batching;
  // Queue bound when dynamic batching is off; 0 = unbounded.
  uint32_t max_queue_size = 0;
  // When a request arrives to an empty queue and an instance is idle, and it
  // would run at once and alone anyway (no dynamic batching, or batching
  // without a max_queue_delay), Enqueue runs it on the calling thread
  // instead of waking the instance's worker and waiting for it: no thread
  // handoff on the way in or out. The instance counts as busy meanwhile, so
  // instances still bound how many executions run at once; the caller then
  // also runs what queued behind it, within caller_drain_budget_us of its
  // own start. False: every request goes through the queue and a worker
  // (tests that hold executions at on_execution_start while they enqueue
  // more from the same thread).
  bool execute_on_caller = true;
  // ... but only while the version's executions take less than this on
  // average (a moving average of every execution, on any thread; the first
  // request may always run on its caller): a long one would hold a
  // front-end thread that other connections need, and next to it the
  // handoff costs nothing that matters.
  uint64_t execute_on_caller_below_us = 1000;
  // How long a caller that took the fast path may keep its instance to run
  // the batches that queue behind it (its elapsed time plus the average
  // execution must stay under this); then the instance's worker takes over.
  // Under steady load the queue seldom empties, so the worker, once in
  // charge, keeps the instance, and each of its batches costs wake-ups of
  // the protocol threads that its answers complete on: batched MLP at
  // concurrency 16 over gRPC, 19.4-19.9k infer/s with 1 ms, 21.7-22.2k
  // with 4 ms, 23.1-24.1k with 10 ms (docs/performance.md, section 3). The
  // price: one front-end thread held up to this long while others serve
  // the connections.
  uint64_t caller_drain_budget_us = 10000;
  // Observation hook (tests): called on an instance's thread with the
  // instance index and the batch's request count just before each engine
  // call. May block (that instance then stalls); must not call back into the
  // scheduler's Drain.
  std::function<void(size_t instance, size_t requests)> on_execution_start;
};

// One request as the scheduler sees it. Inputs are already validated by the
// core against the model (names, dtypes, shapes; with max_batch_size > 0 the
// first dimension is the request's batch size, 1..max_batch_size).
struct ScheduledRequest {
  std::map<std::string, Tensor> inputs;
  uint64_t priority = 0;    // 0 = the default level
  uint64_t timeout_us = 0;  // 0 = the queue policy's default
  std::chrono::steady_clock::time_point arrival = std::chrono::steady_clock::now();
  // False: never run on the thread that calls Enqueue (InferRequest::may_run_on_caller).
  bool may_run_on_caller = true;
  // Called exactly once: every model output by name (this request's slice of
  // a batch), or an error — ResourceExhausted for a full queue or a queue
  // timeout (the request never ran), Unavailable after Drain, or the engine's
  // error.
  std::function<void(Result<std::map<std::string, Tensor>>, const RequestTimings&)> done;
};

class Scheduler {
 public:
  // `instances` run in parallel (at least one); `stats` receives successes,
  // rejections, executions and the queue depth.
  static Result<std::unique_ptr<Scheduler>> Create(const SchedulerOptions& options,
                                                   std::vector<std::shared_ptr<const Session>> instances,
                                                   std::shared_ptr<ModelStatistics> stats);
  // Drains (see Drain) before destruction.
  virtual ~Scheduler() = default;

  virtual void Enqueue(std::unique_ptr<ScheduledRequest> request) = 0;
  // Stops accepting (later requests get Unavailable) and blocks until every
  // queued and running request has been answered. Idempotent.
  virtual void Drain() = 0;
  virtual size_t QueueDepth() const = 0;
};

}  // namespace kiln::server
