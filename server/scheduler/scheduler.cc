#include "server/scheduler/scheduler.h"

#include "server/scheduler/batching_scheduler.h"

namespace kiln::server {
namespace {

Status ValidateDynamicBatching(const SchedulerOptions& options) {
  const DynamicBatchingOptions& batching = *options.dynamic_batching;
  for (int64_t size : batching.preferred_batch_sizes) {
    if (size < 1 || (options.max_batch_size > 0 && size > options.max_batch_size)) {
      return Status::InvalidArgument("dynamic_batching.preferred_batch_size " + std::to_string(size) +
                                     " must be between 1 and max_batch_size (" +
                                     std::to_string(options.max_batch_size) + ")");
    }
  }
  if (batching.priority_levels == 0) {
    if (!batching.priority_queue_policy.empty()) {
      return Status::InvalidArgument("dynamic_batching.priority_queue_policy needs priority_levels > 0");
    }
    return Status::Ok();
  }
  if (batching.default_priority_level < 1 || batching.default_priority_level > batching.priority_levels) {
    return Status::InvalidArgument("dynamic_batching.default_priority_level " +
                                   std::to_string(batching.default_priority_level) + " must be between 1 and " +
                                   "priority_levels (" + std::to_string(batching.priority_levels) + ")");
  }
  for (const auto& [level, policy] : batching.priority_queue_policy) {
    if (level < 1 || level > batching.priority_levels) {
      return Status::InvalidArgument("dynamic_batching.priority_queue_policy names level " + std::to_string(level) +
                                     ", outside 1.." + std::to_string(batching.priority_levels));
    }
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<Scheduler>> Scheduler::Create(const SchedulerOptions& options,
                                                     std::vector<std::shared_ptr<const Session>> instances,
                                                     std::shared_ptr<ModelStatistics> stats) {
  const std::string model = "model '" + options.model_name + "'";
  if (instances.empty()) return Status::InvalidArgument(model + " needs at least one instance to schedule on");
  for (const auto& instance : instances) {
    if (!instance) return Status::InvalidArgument(model + ": an instance has no session");
  }
  if (options.max_batch_size < 0) {
    return Status::InvalidArgument(model + ": max_batch_size " + std::to_string(options.max_batch_size) +
                                   " is negative");
  }
  if (options.dynamic_batching) KILN_RETURN_IF_ERROR(ValidateDynamicBatching(options).WithContext(model));
  if (!stats) stats = std::make_shared<ModelStatistics>(options.model_name, options.model_version);
  return std::unique_ptr<Scheduler>(BatchingScheduler::Start(options, std::move(instances), std::move(stats)));
}

}  // namespace kiln::server
