#include "server/scheduler/batching_scheduler.h"

#include <algorithm>
#include <chrono>

#include "server/scheduler/batch_assembler.h"
#include "server/scheduler/batch_executor.h"

namespace kiln::server {
namespace {

using Clock = std::chrono::steady_clock;

uint64_t NsSince(Clock::time_point from, Clock::time_point to = Clock::now()) {
  if (to < from) return 0;
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(to - from).count());
}

// Queue policies per level, level 1 first.
std::vector<QueuePolicy> LevelPolicies(const SchedulerOptions& options) {
  if (!options.dynamic_batching) {
    // Plain FIFO: no default timeout, but a request's own timeout applies.
    QueuePolicy fifo;
    fifo.allow_timeout_override = true;
    fifo.max_queue_size = options.max_queue_size;
    return {fifo};
  }
  const DynamicBatchingOptions& batching = *options.dynamic_batching;
  const uint64_t levels = std::max<uint64_t>(batching.priority_levels, 1);
  std::vector<QueuePolicy> policies(levels, batching.default_queue_policy);
  for (const auto& [level, policy] : batching.priority_queue_policy) {
    if (level >= 1 && level <= levels) policies[level - 1] = policy;
  }
  return policies;
}

}  // namespace

std::unique_ptr<BatchingScheduler> BatchingScheduler::Start(const SchedulerOptions& options,
                                                            std::vector<std::shared_ptr<const Session>> instances,
                                                            std::shared_ptr<ModelStatistics> stats) {
  std::unique_ptr<BatchingScheduler> scheduler(
      new BatchingScheduler(options, std::move(instances), std::move(stats)));
  for (size_t i = 0; i < scheduler->instances_.size(); ++i) {
    scheduler->workers_.emplace_back([s = scheduler.get(), i] { s->WorkerLoop(i); });
  }
  return scheduler;
}

BatchingScheduler::BatchingScheduler(const SchedulerOptions& options,
                                     std::vector<std::shared_ptr<const Session>> instances,
                                     std::shared_ptr<ModelStatistics> stats)
    : options_(options),
      batching_model_(options.max_batch_size > 0),
      preserve_ordering_(options.dynamic_batching && options.dynamic_batching->preserve_ordering),
      instances_(std::move(instances)),
      stats_(std::move(stats)),
      batcher_(options.max_batch_size, options.dynamic_batching ? &*options.dynamic_batching : nullptr),
      queue_(LevelPolicies(options)),
      caller_path_allowed_(options.execute_on_caller &&
                           (!options.dynamic_batching || options.max_batch_size <= 0 ||
                            options.dynamic_batching->max_queue_delay_us == 0)),
      instance_state_(instances_.size(), InstanceState::kIdle) {}

BatchingScheduler::~BatchingScheduler() { Drain(); }

std::string BatchingScheduler::ModelLabel() const {
  return "model '" + options_.model_name + "'" +
         (options_.model_version.empty() ? "" : " version " + options_.model_version);
}

size_t BatchingScheduler::LevelOf(uint64_t priority) const {
  if (!options_.dynamic_batching || options_.dynamic_batching->priority_levels == 0) return 0;
  const DynamicBatchingOptions& batching = *options_.dynamic_batching;
  if (priority == 0 || priority > batching.priority_levels) return batching.default_priority_level - 1;
  return priority - 1;
}

void BatchingScheduler::Enqueue(std::unique_ptr<ScheduledRequest> request) {
  if (!request) return;
  const Clock::time_point now = Clock::now();
  const size_t level = LevelOf(request->priority);
  QueuedRequest entry;
  entry.enqueued = now;
  entry.batch_size = batching_model_ ? RequestBatchSize(request->inputs) : 1;

  std::unique_lock<std::mutex> lock(mutex_);
  if (stopping_) {
    lock.unlock();
    const uint64_t total_ns = NsSince(request->arrival, now);
    stats_->RecordFailure(total_ns);
    if (request->done) {
      request->done(Status::Unavailable(ModelLabel() + " is shutting down and accepts no new requests"),
                    RequestTimings{total_ns});
    }
    return;
  }
  if (queue_.LevelFull(level)) {
    const uint32_t max = queue_.policy(level).max_queue_size;
    lock.unlock();
    const uint64_t total_ns = NsSince(request->arrival, now);
    stats_->RecordRejected(total_ns);
    if (request->done) {
      request->done(Status::ResourceExhausted("queue of " + ModelLabel() + " is full (" + std::to_string(max) +
                                              " requests)"),
                    RequestTimings{total_ns});
    }
    return;
  }
  size_t instance = 0;
  if (request->may_run_on_caller && CanRunOnCallerLocked(&instance)) {
    instance_state_[instance] = InstanceState::kCaller;
    ++running_on_callers_;
    if (preserve_ordering_) entry.sequence = next_sequence_++;
    lock.unlock();
    entry.request = std::move(request);
    RunOnCaller(instance, std::move(entry));
    return;
  }
  entry.timeout_us = queue_.TimeoutFor(level, request->timeout_us);
  entry.request = std::move(request);
  const std::optional<SteadyTime> previous_deadline = queue_.NextDeadline();
  const bool earliest_deadline =
      entry.timeout_us != 0 &&
      (!previous_deadline || now + std::chrono::microseconds(entry.timeout_us) < *previous_deadline);
  if (entry.timeout_us != 0 && !timer_.joinable()) {
    timer_ = std::thread([this] { TimerLoop(); });  // the first request that can time out
  }
  queue_.Push(level, std::move(entry));
  PublishDepthLocked();
  // Busy instances pick the request up when they finish; only an idle one's
  // worker needs waking.
  const bool wake_worker =
      std::find(instance_state_.begin(), instance_state_.end(), InstanceState::kIdle) != instance_state_.end();
  lock.unlock();
  if (wake_worker) NotifyWorkers();
  if (earliest_deadline) timer_cv_.notify_one();
}

void BatchingScheduler::NotifyWorkers() {
  // A worker whose instance runs a fast-path request ignores the wake-up, so
  // with several instances every waiting worker must hear it.
  if (instances_.size() == 1) {
    work_cv_.notify_one();
  } else {
    work_cv_.notify_all();
  }
}

bool BatchingScheduler::CanRunOnCallerLocked(size_t* instance) const {
  if (!caller_path_allowed_ || stopping_ || !queue_.empty()) return false;
  if (average_execution_ns_.load(std::memory_order_relaxed) >= options_.execute_on_caller_below_us * 1000) return false;
  for (size_t i = 0; i < instance_state_.size(); ++i) {
    if (instance_state_[i] == InstanceState::kIdle) {
      *instance = i;
      return true;
    }
  }
  return false;
}

void BatchingScheduler::RunOnCaller(size_t instance, QueuedRequest entry) {
  const Clock::time_point began = Clock::now();
  std::vector<QueuedRequest> batch;
  batch.push_back(std::move(entry));
  bool wake_workers = false;
  for (;;) {
    RunBatch(instance, std::move(batch));
    std::unique_lock<std::mutex> lock(mutex_);
    // Requests whose queue timeout passed are answered, never run (the
    // timer thread may not have got to them yet).
    while (RejectExpiredLocked(lock, Clock::now())) {
    }
    batch = TakeCallerBatchLocked(began);
    if (!batch.empty()) continue;
    instance_state_[instance] = InstanceState::kIdle;
    --running_on_callers_;
    // The instance's worker may take requests that arrived meanwhile, or
    // must see that Drain started; otherwise it sleeps on (no wake-up).
    wake_workers = !queue_.empty() || stopping_;
    if (running_on_callers_ == 0) callers_done_cv_.notify_all();
    break;
  }
  if (wake_workers) NotifyWorkers();
}

std::vector<QueuedRequest> BatchingScheduler::TakeCallerBatchLocked(Clock::time_point began) {
  if (stopping_ || queue_.empty()) return {};
  const Clock::time_point now = Clock::now();
  const uint64_t average = average_execution_ns_.load(std::memory_order_relaxed);
  if (NsSince(began, now) + average >= options_.caller_drain_budget_us * 1000) return {};
  const BatchDecision decision = batcher_.Decide(queue_, now, false);
  if (decision.requests == 0) return {};
  return TakeBatchLocked(decision.requests);
}

std::vector<QueuedRequest> BatchingScheduler::TakeBatchLocked(size_t requests) {
  std::vector<QueuedRequest> batch = queue_.TakeFront(requests);
  if (preserve_ordering_) {
    for (QueuedRequest& queued : batch) queued.sequence = next_sequence_++;
  }
  PublishDepthLocked();
  return batch;
}

void BatchingScheduler::PublishDepthLocked() { stats_->SetQueueDepth(queue_.size()); }

bool BatchingScheduler::RejectExpiredLocked(std::unique_lock<std::mutex>& lock, SteadyTime now) {
  std::vector<QueuedRequest> expired = queue_.ExpireDue(now);
  if (expired.empty()) return false;
  PublishDepthLocked();
  lock.unlock();
  RejectTimedOut(std::move(expired));
  lock.lock();
  return true;
}

size_t BatchingScheduler::QueueDepth() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return queue_.size();
}

std::vector<QueuedRequest> BatchingScheduler::NextBatch(size_t instance) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (instance_state_[instance] == InstanceState::kWorker) instance_state_[instance] = InstanceState::kIdle;
  for (;;) {
    const Clock::time_point now = Clock::now();
    if (RejectExpiredLocked(lock, now)) continue;
    if (instance_state_[instance] == InstanceState::kCaller) {
      // A fast-path request holds this instance; it notifies when done.
      work_cv_.wait(lock);
      continue;
    }
    const BatchDecision decision = batcher_.Decide(queue_, now, stopping_);
    if (decision.requests > 0) {
      std::vector<QueuedRequest> batch = TakeBatchLocked(decision.requests);
      instance_state_[instance] = InstanceState::kWorker;
      const bool more = !queue_.empty();
      lock.unlock();
      if (more) NotifyWorkers();  // another idle instance may take the rest
      return batch;
    }
    if (queue_.empty() && stopping_) return {};
    std::optional<SteadyTime> wake = decision.wait_until;
    const std::optional<SteadyTime> deadline = queue_.NextDeadline();
    if (deadline && (!wake || *deadline < *wake)) wake = deadline;
    if (wake) {
      work_cv_.wait_until(lock, *wake);
    } else {
      work_cv_.wait(lock);
    }
  }
}

void BatchingScheduler::WorkerLoop(size_t instance) {
  for (;;) {
    std::vector<QueuedRequest> batch = NextBatch(instance);
    if (batch.empty()) return;
    RunBatch(instance, std::move(batch));
  }
}

void BatchingScheduler::RunBatch(size_t instance, std::vector<QueuedRequest> batch) {
  const Session& session = *instances_[instance];
  const Clock::time_point entered = Clock::now();
  if (options_.on_execution_start) options_.on_execution_start(instance, batch.size());
  const Clock::time_point started = Clock::now();
  BatchOutcome outcome;
  try {
    outcome = ExecuteBatch(session, batch);
  } catch (const std::exception& e) {  // e.g. bad_alloc: answer, keep the thread alive
    outcome = BatchOutcome{};
    outcome.results.assign(batch.size(), Result<TensorMap>(Status::Internal(
                                             std::string("model execution failed: ") + e.what())));
  }
  const uint64_t took = NsSince(entered);
  const uint64_t average = average_execution_ns_.load(std::memory_order_relaxed);
  average_execution_ns_.store(average == 0 ? std::max<uint64_t>(took, 1) : average - average / 8 + took / 8,
                              std::memory_order_relaxed);
  uint64_t items = 0;
  for (const QueuedRequest& queued : batch) items += static_cast<uint64_t>(queued.batch_size);
  if (!outcome.results.empty() && outcome.results.front().ok()) {
    stats_->RecordExecution(items, outcome.compute_input_ns, outcome.compute_infer_ns, outcome.compute_output_ns);
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    RequestTimings timings;
    timings.queue_ns = NsSince(batch[i].enqueued, started);
    timings.compute_input_ns = outcome.compute_input_ns;
    timings.compute_infer_ns = outcome.compute_infer_ns;
    timings.compute_output_ns = outcome.compute_output_ns;
    Respond(std::move(batch[i]), std::move(outcome.results[i]), timings);
  }
}

void BatchingScheduler::Respond(QueuedRequest queued, Result<TensorMap> result, const RequestTimings& timings) {
  // Shared so that the delivery can sit in a std::function (copyable) while
  // it waits for its turn.
  struct Response {
    QueuedRequest queued;
    Result<TensorMap> result;
    RequestTimings timings;
  };
  const uint64_t sequence = queued.sequence;
  auto response = std::make_shared<Response>(Response{std::move(queued), std::move(result), timings});
  auto deliver = [this, response] {
    ScheduledRequest& request = *response->queued.request;
    response->timings.total_ns = NsSince(request.arrival);
    if (response->result.ok()) {
      stats_->RecordSuccess(response->timings, static_cast<uint64_t>(response->queued.batch_size));
    } else {
      stats_->RecordFailure(response->timings.total_ns);
    }
    if (request.done) request.done(std::move(response->result), response->timings);
  };
  if (preserve_ordering_) {
    sequencer_.Complete(sequence, std::move(deliver));
  } else {
    deliver();
  }
}

void BatchingScheduler::RejectTimedOut(std::vector<QueuedRequest> expired) {
  const Clock::time_point now = Clock::now();
  for (QueuedRequest& queued : expired) {
    RequestTimings timings;
    timings.total_ns = NsSince(queued.request->arrival, now);
    timings.queue_ns = NsSince(queued.enqueued, now);
    stats_->RecordRejected(timings.total_ns);
    if (queued.request->done) {
      queued.request->done(Status::ResourceExhausted("request for " + ModelLabel() +
                                                     " timed out in the queue after " +
                                                     std::to_string(queued.timeout_us) + " us"),
                           timings);
    }
  }
}

void BatchingScheduler::TimerLoop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!timer_stop_) {
    if (RejectExpiredLocked(lock, Clock::now())) continue;
    const std::optional<SteadyTime> deadline = queue_.NextDeadline();
    if (deadline) {
      timer_cv_.wait_until(lock, *deadline);
    } else {
      timer_cv_.wait(lock);
    }
  }
}

void BatchingScheduler::Drain() {
  std::lock_guard<std::mutex> drain_lock(drain_mutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  for (std::thread& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
  {
    std::unique_lock<std::mutex> lock(mutex_);
    callers_done_cv_.wait(lock, [this] { return running_on_callers_ == 0; });
    timer_stop_ = true;
  }
  timer_cv_.notify_all();
  if (timer_.joinable()) timer_.join();
}

}  // namespace kiln::server
