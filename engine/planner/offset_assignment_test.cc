#include "engine/planner/offset_assignment.h"

#include <gtest/gtest.h>

namespace kiln::planner {
namespace {

bool Overlap(const BufferRequest& a, size_t oa, const BufferRequest& b, size_t ob) {
  const bool in_time = a.first_step <= b.last_step && b.first_step <= a.last_step;
  const bool in_memory = oa < ob + b.bytes && ob < oa + a.bytes;
  return in_time && in_memory;
}

TEST(AssignOffsets, BuffersAliveTogetherNeverOverlap) {
  std::vector<BufferRequest> reqs = {{0, 2, 100}, {1, 3, 300}, {2, 4, 64}, {3, 5, 1000}, {5, 6, 10}, {0, 6, 7}};
  OffsetAssignment a = AssignOffsets(reqs);
  ASSERT_EQ(a.offsets.size(), reqs.size());
  for (size_t i = 0; i < reqs.size(); ++i) {
    EXPECT_EQ(a.offsets[i] % kArenaAlignment, 0u);
    EXPECT_LE(a.offsets[i] + reqs[i].bytes, a.arena_bytes);
    for (size_t j = i + 1; j < reqs.size(); ++j) EXPECT_FALSE(Overlap(reqs[i], a.offsets[i], reqs[j], a.offsets[j])) << i << " " << j;
  }
}

TEST(AssignOffsets, ReusesMemoryOfDeadBuffers) {
  // A chain: each buffer lives for two steps; only two are alive at a time.
  std::vector<BufferRequest> reqs;
  for (size_t k = 0; k < 10; ++k) reqs.push_back({k, k + 1, 4096});
  OffsetAssignment a = AssignOffsets(reqs);
  EXPECT_EQ(a.arena_bytes, 2u * 4096);
}

TEST(AssignOffsets, FillsAGapLeftByADeadBuffer) {
  // The short-lived big buffer is placed first, at the bottom; once it is
  // dead, a later buffer fits below the long-lived one.
  std::vector<BufferRequest> reqs = {{0, 1, 2048}, {0, 10, 1024}, {5, 6, 1024}};
  OffsetAssignment a = AssignOffsets(reqs);
  EXPECT_EQ(a.offsets[0], 0u);
  EXPECT_EQ(a.offsets[1], 2048u);
  EXPECT_EQ(a.offsets[2], 0u);
  EXPECT_EQ(a.arena_bytes, 3072u);
}

TEST(AssignOffsets, EmptyInput) {
  OffsetAssignment a = AssignOffsets({});
  EXPECT_EQ(a.arena_bytes, 0u);
  EXPECT_TRUE(a.offsets.empty());
}

}  // namespace
}  // namespace kiln::planner
