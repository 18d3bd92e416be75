#include "server/scheduler/response_sequencer.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace kiln::server {
namespace {

TEST(ResponseSequencer, DeliversInSequenceOrder) {
  ResponseSequencer sequencer;
  std::vector<int> delivered;
  sequencer.Complete(2, [&] { delivered.push_back(2); });
  sequencer.Complete(1, [&] { delivered.push_back(1); });
  EXPECT_TRUE(delivered.empty());
  EXPECT_EQ(sequencer.Waiting(), 2u);
  sequencer.Complete(0, [&] { delivered.push_back(0); });
  EXPECT_EQ(delivered, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(sequencer.Waiting(), 0u);
  sequencer.Complete(3, [&] { delivered.push_back(3); });
  EXPECT_EQ(delivered.back(), 3);
}

TEST(ResponseSequencer, KeepsOrderUnderConcurrentCompletions) {
  ResponseSequencer sequencer;
  constexpr int kPerThread = 500;
  std::vector<int> delivered;  // only the delivering thread writes
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const int sequence = i * 4 + t;
        sequencer.Complete(static_cast<uint64_t>(sequence), [&delivered, sequence] { delivered.push_back(sequence); });
      }
    });
  }
  for (auto& thread : threads) thread.join();
  ASSERT_EQ(delivered.size(), 4u * kPerThread);
  for (size_t i = 0; i < delivered.size(); ++i) ASSERT_EQ(delivered[i], static_cast<int>(i));
}

}  // namespace
}  // namespace kiln::server
