#include "server/scheduler/dynamic_batcher.h"

#include <gtest/gtest.h>

namespace kiln::server {
namespace {

using std::chrono::microseconds;

class DynamicBatcherTest : public ::testing::Test {
 protected:
  void Add(int64_t batch, int64_t width = 4, SteadyTime enqueued = {}) {
    QueuedRequest q;
    q.request = std::make_unique<ScheduledRequest>();
    q.request->inputs.emplace("X", Tensor::Allocate(DataType::kFloat, {batch, width}));
    q.batch_size = batch;
    q.enqueued = enqueued == SteadyTime{} ? t0_ : enqueued;
    queue_.Push(0, std::move(q));
  }

  SteadyTime t0_ = std::chrono::steady_clock::now();
  PriorityRequestQueue queue_{{QueuePolicy{}}};
};

TEST_F(DynamicBatcherTest, WithoutBatchingEveryRequestRunsAlone) {
  DynamicBatcher off(8, nullptr);
  EXPECT_EQ(off.Decide(queue_, t0_, false).requests, 0u);
  Add(1);
  Add(1);
  EXPECT_EQ(off.Decide(queue_, t0_, false).requests, 1u);
  DynamicBatchingOptions options;
  DynamicBatcher unbatched_model(0, &options);
  EXPECT_EQ(unbatched_model.Decide(queue_, t0_, false).requests, 1u);
}

TEST_F(DynamicBatcherTest, NoDelayRunsEverythingMergeable) {
  DynamicBatchingOptions options;
  DynamicBatcher batcher(8, &options);
  Add(2);
  Add(3);
  Add(4);  // would exceed 8
  EXPECT_EQ(batcher.Decide(queue_, t0_, false).requests, 2u);
}

TEST_F(DynamicBatcherTest, StopsAtTheFirstRequestWithOtherDimensions) {
  DynamicBatchingOptions options;
  options.max_queue_delay_us = 1000000;
  DynamicBatcher batcher(8, &options);
  Add(1);
  Add(1);
  Add(1, 5);
  Add(1);
  // The batch cannot grow past the odd request: it runs now, without waiting.
  BatchDecision decision = batcher.Decide(queue_, t0_, false);
  EXPECT_EQ(decision.requests, 2u);
}

TEST_F(DynamicBatcherTest, WaitsForTheQueueDelayThenRunsWhatItHas) {
  DynamicBatchingOptions options;
  options.max_queue_delay_us = 500;
  DynamicBatcher batcher(8, &options);
  Add(1);
  Add(2);
  BatchDecision waiting = batcher.Decide(queue_, t0_ + microseconds(100), false);
  EXPECT_EQ(waiting.requests, 0u);
  ASSERT_TRUE(waiting.wait_until.has_value());
  EXPECT_EQ(*waiting.wait_until, t0_ + microseconds(500));
  EXPECT_EQ(batcher.Decide(queue_, t0_ + microseconds(500), false).requests, 2u);
  EXPECT_EQ(batcher.Decide(queue_, t0_ + microseconds(100), true).requests, 2u);  // flush
}

TEST_F(DynamicBatcherTest, FullBatchRunsAtOnce) {
  DynamicBatchingOptions options;
  options.max_queue_delay_us = 1000000;
  DynamicBatcher batcher(4, &options);
  Add(2);
  Add(2);
  Add(1);
  EXPECT_EQ(batcher.Decide(queue_, t0_, false).requests, 2u);
}

TEST_F(DynamicBatcherTest, PreferredBatchSizeRunsAtOnceAndCapsTheBatch) {
  DynamicBatchingOptions options;
  options.max_queue_delay_us = 1000000;
  options.preferred_batch_sizes = {2, 4};
  DynamicBatcher batcher(16, &options);
  Add(1);
  EXPECT_EQ(batcher.Decide(queue_, t0_, false).requests, 0u);
  Add(1);
  Add(1);
  // 3 items: the preferred size 2 is available now.
  EXPECT_EQ(batcher.Decide(queue_, t0_, false).requests, 2u);
  Add(1);
  Add(1);
  // 5 items: the largest preferred size (4) caps the batch.
  EXPECT_EQ(batcher.Decide(queue_, t0_, false).requests, 4u);
}

}  // namespace
}  // namespace kiln::server
