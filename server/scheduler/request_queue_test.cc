#include "server/scheduler/request_queue.h"

#include <gtest/gtest.h>

namespace kiln::server {
namespace {

using std::chrono::microseconds;

QueuedRequest Make(uint64_t id, SteadyTime enqueued, uint64_t timeout_us = 0) {
  QueuedRequest q;
  q.request = std::make_unique<ScheduledRequest>();
  q.request->priority = id;  // used as an identifier here
  q.enqueued = enqueued;
  q.timeout_us = timeout_us;
  return q;
}

std::vector<uint64_t> Order(const PriorityRequestQueue& queue) {
  std::vector<uint64_t> ids;
  queue.Visit([&](const QueuedRequest& q) {
    ids.push_back(q.request->priority);
    return true;
  });
  return ids;
}

TEST(PriorityRequestQueue, ServesHigherLevelsFirstAndFifoWithinALevel) {
  PriorityRequestQueue queue({QueuePolicy{}, QueuePolicy{}});
  const SteadyTime t0 = std::chrono::steady_clock::now();
  queue.Push(1, Make(1, t0));
  queue.Push(1, Make(2, t0));
  queue.Push(0, Make(3, t0));
  queue.Push(0, Make(4, t0));
  EXPECT_EQ(queue.size(), 4u);
  EXPECT_EQ(Order(queue), (std::vector<uint64_t>{3, 4, 1, 2}));
  auto taken = queue.TakeFront(3);
  ASSERT_EQ(taken.size(), 3u);
  EXPECT_EQ(taken[2].request->priority, 1u);
  EXPECT_EQ(Order(queue), (std::vector<uint64_t>{2}));
}

TEST(PriorityRequestQueue, RejectsExpiredRequestsAndIndexesDeadlines) {
  PriorityRequestQueue queue({QueuePolicy{}});
  const SteadyTime t0 = std::chrono::steady_clock::now();
  queue.Push(0, Make(1, t0, 500));
  queue.Push(0, Make(2, t0));
  queue.Push(0, Make(3, t0, 100));
  ASSERT_TRUE(queue.NextDeadline().has_value());
  EXPECT_EQ(*queue.NextDeadline(), t0 + microseconds(100));
  EXPECT_TRUE(queue.ExpireDue(t0 + microseconds(99)).empty());
  auto expired = queue.ExpireDue(t0 + microseconds(500));
  ASSERT_EQ(expired.size(), 2u);
  EXPECT_EQ(expired[0].request->priority, 3u);  // earliest deadline first
  EXPECT_EQ(expired[1].request->priority, 1u);
  EXPECT_EQ(Order(queue), (std::vector<uint64_t>{2}));
  EXPECT_FALSE(queue.NextDeadline().has_value());
}

TEST(PriorityRequestQueue, DelayedRequestsWaitBehindTheirLevel) {
  QueuePolicy delay;
  delay.timeout_action = QueuePolicy::TimeoutAction::kDelay;
  PriorityRequestQueue queue({delay, QueuePolicy{}});
  const SteadyTime t0 = std::chrono::steady_clock::now();
  queue.Push(0, Make(1, t0, 10));
  queue.Push(0, Make(2, t0));
  queue.Push(1, Make(3, t0));
  EXPECT_TRUE(queue.ExpireDue(t0 + microseconds(10)).empty());
  EXPECT_EQ(queue.size(), 3u);
  EXPECT_EQ(Order(queue), (std::vector<uint64_t>{2, 1, 3}));
  EXPECT_FALSE(queue.NextDeadline().has_value());
}

TEST(PriorityRequestQueue, TakingARequestDropsItsDeadline) {
  PriorityRequestQueue queue({QueuePolicy{}});
  const SteadyTime t0 = std::chrono::steady_clock::now();
  queue.Push(0, Make(1, t0, 10));
  queue.TakeFront(1);
  EXPECT_FALSE(queue.NextDeadline().has_value());
  EXPECT_TRUE(queue.ExpireDue(t0 + microseconds(20)).empty());
}

TEST(PriorityRequestQueue, LevelsAreBoundedSeparately) {
  QueuePolicy bounded;
  bounded.max_queue_size = 1;
  PriorityRequestQueue queue({bounded, QueuePolicy{}});
  const SteadyTime t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(queue.LevelFull(0));
  queue.Push(0, Make(1, t0));
  EXPECT_TRUE(queue.LevelFull(0));
  queue.Push(1, Make(2, t0));
  queue.Push(1, Make(3, t0));
  EXPECT_FALSE(queue.LevelFull(1));
}

TEST(PriorityRequestQueue, TimeoutOverridesMayOnlyShorten) {
  QueuePolicy fixed;
  fixed.default_timeout_us = 1000;
  QueuePolicy overridable = fixed;
  overridable.allow_timeout_override = true;
  QueuePolicy unlimited;
  unlimited.allow_timeout_override = true;
  PriorityRequestQueue queue({fixed, overridable, unlimited});
  EXPECT_EQ(queue.TimeoutFor(0, 10), 1000u);
  EXPECT_EQ(queue.TimeoutFor(1, 10), 10u);
  EXPECT_EQ(queue.TimeoutFor(1, 5000), 1000u);
  EXPECT_EQ(queue.TimeoutFor(1, 0), 1000u);
  EXPECT_EQ(queue.TimeoutFor(2, 5000), 5000u);
  EXPECT_EQ(queue.TimeoutFor(2, 0), 0u);
}

}  // namespace
}  // namespace kiln::server
