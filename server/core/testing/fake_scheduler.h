// FakeScheduler: a test double for server/scheduler's Scheduler. One worker
// thread runs requests in arrival order on the first instance, one at a
// time, with no batching. Tests may close a gate to hold requests "in
// flight" (queued, or running on the worker) and open it later. Test-only:
// used through ModelServerOptions::scheduler_factory.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <string>
#include <memory>
#include <mutex>
#include <thread>

#include "server/core/model_version.h"
#include "server/scheduler/scheduler.h"

namespace kiln::server::testing {

// Shared by a test and every FakeScheduler it creates.
class SchedulerGate {
 public:
  void Close() {
    std::lock_guard<std::mutex> lock(mutex_);
    open_ = false;
  }
  void Open() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      open_ = true;
    }
    cv_.notify_all();
  }
  // Blocks while closed; counts the requests waiting at the gate.
  void Pass() {
    std::unique_lock<std::mutex> lock(mutex_);
    ++waiting_;
    cv_.notify_all();
    cv_.wait(lock, [this] { return open_; });
    --waiting_;
  }
  // Waits until `n` requests wait at the gate.
  void AwaitWaiting(int n) {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [&] { return waiting_ >= n; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = true;
  int waiting_ = 0;
};

class FakeScheduler : public Scheduler {
 public:
  FakeScheduler(std::vector<std::shared_ptr<const Session>> instances, std::shared_ptr<ModelStatistics> stats,
                std::shared_ptr<SchedulerGate> gate)
      : instances_(std::move(instances)), stats_(std::move(stats)), gate_(std::move(gate)), worker_([this] { Loop(); }) {}
  ~FakeScheduler() override {
    Drain();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    worker_.join();
  }

  void Enqueue(std::unique_ptr<ScheduledRequest> request) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!draining_) {
        queue_.push_back(std::move(request));
        cv_.notify_all();
        return;
      }
    }
    request->done(Status::Unavailable("model is unloading"), RequestTimings{});
  }
  void Drain() override {
    std::unique_lock<std::mutex> lock(mutex_);
    draining_ = true;
    idle_.wait(lock, [this] { return queue_.empty() && !running_; });
  }
  size_t QueueDepth() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    return queue_.size();
  }

  // Schedulers whose requests pass `gate` (only for `gated_version` when
  // that is not empty). `seen`, when given, records every scheduler's options
  // and instances.
  static SchedulerFactory Factory(std::shared_ptr<SchedulerGate> gate, std::string gated_version = "",
                                  std::function<void(const SchedulerOptions&,
                                                     const std::vector<std::shared_ptr<const Session>>&)>
                                      seen = nullptr) {
    return [gate, gated_version, seen](const SchedulerOptions& options,
                                       std::vector<std::shared_ptr<const Session>> instances,
                                       std::shared_ptr<ModelStatistics> stats) -> Result<std::unique_ptr<Scheduler>> {
      if (seen) seen(options, instances);
      auto used = gated_version.empty() || options.model_version == gated_version ? gate : nullptr;
      return std::unique_ptr<Scheduler>(new FakeScheduler(std::move(instances), std::move(stats), used));
    };
  }

 private:
  void Loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;
      auto request = std::move(queue_.front());
      queue_.pop_front();
      running_ = true;
      lock.unlock();
      if (gate_) gate_->Pass();
      std::map<std::string, Value> feeds(request->inputs.begin(), request->inputs.end());
      auto outputs = instances_.front()->Run(feeds);
      RequestTimings timings;
      timings.total_ns = static_cast<uint64_t>((std::chrono::steady_clock::now() - request->arrival).count());
      if (outputs.ok()) {
        std::map<std::string, Tensor> by_name;
        const auto& infos = instances_.front()->outputs();
        for (size_t i = 0; i < infos.size(); ++i) by_name[infos[i].name] = (*outputs)[i].tensor();
        stats_->RecordExecution(1, 0, timings.total_ns, 0);
        stats_->RecordSuccess(timings);
        request->done(std::move(by_name), timings);
      } else {
        stats_->RecordFailure(timings.total_ns);
        request->done(outputs.status(), timings);
      }
      request.reset();
      lock.lock();
      running_ = false;
      idle_.notify_all();
    }
  }

  std::vector<std::shared_ptr<const Session>> instances_;
  std::shared_ptr<ModelStatistics> stats_;
  std::shared_ptr<SchedulerGate> gate_;
  mutable std::mutex mutex_;
  std::condition_variable cv_, idle_;
  std::deque<std::unique_ptr<ScheduledRequest>> queue_;
  bool running_ = false;
  bool draining_ = false;
  bool stop_ = false;
  std::thread worker_;
};

}  // namespace kiln::server::testing
