#include "engine/kernels/cpu/dnnl_primitive_cache.h"

#include <gtest/gtest.h>

namespace kiln::cpu {
namespace {

TEST(DnnlPrimitiveCacheTest, BuildsOncePerKey) {
  DnnlPrimitiveCache<int> cache(4);
  int builds = 0;
  auto build = [&]() -> Result<int> { return ++builds; };
  auto a = cache.GetOrBuild(1, {1, 2}, build);
  auto b = cache.GetOrBuild(1, {1, 2}, build);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(**a, 1);
  EXPECT_EQ(**b, 1);
  EXPECT_EQ(builds, 1);
}

TEST(DnnlPrimitiveCacheTest, ThreadCountsAreSeparateEntries) {
  // A primitive created for two threads must not serve a one-thread run.
  DnnlPrimitiveCache<int> cache(4);
  auto a = cache.GetOrBuild(2, {1, 2}, []() -> Result<int> { return 2; });
  auto b = cache.GetOrBuild(1, {1, 2}, []() -> Result<int> { return 1; });
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(**a, 2);
  EXPECT_EQ(**b, 1);
  EXPECT_EQ(cache.size(), 2u);
}

TEST(DnnlPrimitiveCacheTest, DropsOldestBeyondCapacity) {
  DnnlPrimitiveCache<int> cache(2);
  int builds = 0;
  auto build = [&]() -> Result<int> { return ++builds; };
  ASSERT_TRUE(cache.GetOrBuild(1, {1}, build).ok());
  ASSERT_TRUE(cache.GetOrBuild(1, {2}, build).ok());
  ASSERT_TRUE(cache.GetOrBuild(1, {3}, build).ok());
  EXPECT_EQ(cache.size(), 2u);
  ASSERT_TRUE(cache.GetOrBuild(1, {1}, build).ok());  // was dropped: built again
  EXPECT_EQ(builds, 4);
}

TEST(DnnlPrimitiveCacheTest, BuildErrorIsReturnedAndNotCached) {
  DnnlPrimitiveCache<int> cache(2);
  auto fail = []() -> Result<int> { return Status::Unimplemented("no"); };
  EXPECT_FALSE(cache.GetOrBuild(1, {1}, fail).ok());
  EXPECT_EQ(cache.size(), 0u);
}

}  // namespace
}  // namespace kiln::cpu
