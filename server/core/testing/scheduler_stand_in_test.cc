// Stand-in for Scheduler::Create until server/scheduler's implementation is
// merged: the tests' ModelServer default factory resolves to a FakeScheduler.
// Delete this file once server/scheduler provides Scheduler::Create.
#include "server/core/testing/fake_scheduler.h"

namespace kiln::server {

Result<std::unique_ptr<Scheduler>> Scheduler::Create(const SchedulerOptions&,
                                                     std::vector<std::shared_ptr<const Session>> instances,
                                                     std::shared_ptr<ModelStatistics> stats) {
  return std::unique_ptr<Scheduler>(new testing::FakeScheduler(std::move(instances), std::move(stats), nullptr));
}

}  // namespace kiln::server
