#include "engine/planner/arena_pool.h"

#include <gtest/gtest.h>

#include <cstdint>

#include "engine/planner/offset_assignment.h"

namespace kiln::planner {
namespace {

TEST(ArenaPool, ReusesReleasedArenas) {
  ArenaPool pool(2);
  auto a = pool.Acquire(1000);
  ASSERT_GE(a->size(), 1000u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a->data()) % kArenaAlignment, 0u);
  char* data = a->data();
  pool.Release(std::move(a));
  auto b = pool.Acquire(500);
  EXPECT_EQ(b->data(), data);
  auto c = pool.Acquire(500);  // the only idle one is taken: a new arena
  EXPECT_NE(c->data(), data);
  pool.Release(std::move(b));
  pool.Release(std::move(c));
  EXPECT_EQ(pool.idle_count(), 2u);
  auto big = pool.Acquire(1 << 20);  // too big for both: replaces the largest idle one
  EXPECT_GE(big->size(), size_t{1} << 20);
  EXPECT_EQ(pool.idle_count(), 1u);
  pool.Release(std::move(big));
}

}  // namespace
}  // namespace kiln::planner
