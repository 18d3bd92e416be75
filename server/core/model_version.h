// ModelVersion: one loaded, ready version of a model — its completed
// configuration, N engine Sessions (instance_group count), their Scheduler,
// statistics and classification labels. It validates requests against its
// configuration and schedules them.
//
// Ownership: the ModelServer holds each version through a shared_ptr while
// it serves; a request holds one only until it is enqueued (callbacks keep
// just the immutable parts they need, never the scheduler). Retiring a
// version = removing it from the server's table, then Drain(): later
// Infer calls get Unavailable, queued and running requests finish first.
// Thread-safety: Infer and the accessors may be called from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/core/status.h"
#include "engine/runtime/session.h"
#include "server/core/batch_size_warmup.h"
#include "server/core/infer_types.h"
#include "server/core/model_statistics.h"
#include "server/proto/model_config.pb.h"
#include "server/repository/repository_scanner.h"
#include "server/scheduler/scheduler.h"

namespace kiln::server {

// Makes a version's scheduler; Scheduler::Create by default, a test double
// in tests.
using SchedulerFactory = std::function<Result<std::unique_ptr<Scheduler>>(
    const SchedulerOptions&, std::vector<std::shared_ptr<const Session>>, std::shared_ptr<ModelStatistics>)>;

struct ModelVersionSpec {
  ModelSource source;
  int64_t version = 0;
  inference::ModelConfig config;  // as read (completed and validated during Load)
  int threads_per_instance = 1;   // engine threads of each Session
  // With dynamic_batching: run every batch size the batcher can form at load
  // (server/core/batch_size_warmup.h).
  bool batch_size_warmup = true;
  SchedulerFactory scheduler_factory;
};

// Instances a configuration asks for (at least 1): the sum of its
// instance_group counts (a missing count is 1).
int InstanceCount(const inference::ModelConfig& config);

// The scheduler's options from a completed configuration.
SchedulerOptions SchedulerOptionsFor(const inference::ModelConfig& config, const std::string& version);

class ModelVersion {
 public:
  // Loads the model file, completes and validates the configuration against
  // it, creates the instances, reads labels, runs warmup and starts the
  // scheduler. Errors say which version and field failed.
  static Result<std::unique_ptr<ModelVersion>> Load(const ModelVersionSpec& spec);
  ~ModelVersion();  // drains

  const std::string& name() const { return shared_->name; }
  int64_t version() const { return version_; }
  const std::string& version_string() const { return shared_->version; }
  std::shared_ptr<const inference::ModelConfig> config() const { return shared_->config; }
  const std::shared_ptr<ModelStatistics>& stats() const { return shared_->stats; }
  int instance_count() const { return static_cast<int>(instances_.size()); }
  // What the batch-size warmup did at load, and how long it took.
  const BatchSizeWarmup& batch_size_warmup() const { return batch_size_warmup_; }
  std::chrono::milliseconds batch_size_warmup_time() const { return batch_size_warmup_time_; }

  // Validates `request` (InvalidArgument, reported through `done`) and
  // schedules it. `arrival`: when the service received it.
  void Infer(InferRequest request, std::chrono::steady_clock::time_point arrival, InferCallback done);
  // Stops accepting and waits for queued and running requests. Idempotent.
  void Drain();

 private:
  // What callbacks need after the version may have been retired.
  struct Shared {
    std::string name;
    std::string version;
    std::shared_ptr<const inference::ModelConfig> config;
    std::map<std::string, std::vector<std::string>> labels;  // by output name
    std::shared_ptr<ModelStatistics> stats;
  };

  ModelVersion(std::shared_ptr<const Shared> shared, int64_t version,
               std::vector<std::shared_ptr<const Session>> instances)
      : shared_(std::move(shared)), version_(version), instances_(std::move(instances)) {}

  std::shared_ptr<const Shared> shared_;
  int64_t version_;
  std::vector<std::shared_ptr<const Session>> instances_;
  std::unique_ptr<Scheduler> scheduler_;  // set once in Load
  BatchSizeWarmup batch_size_warmup_;     // set once in Load
  std::chrono::milliseconds batch_size_warmup_time_{0};
};

}  // namespace kiln::server
