#include "engine/planner/plan_cache.h"

#include <gtest/gtest.h>

namespace kiln::planner {
namespace {

ShapeSignature Sig(int64_t batch) { return ShapeSignature::Of({Value(Tensor::Allocate(DataType::kFloat, {batch, 3}))}); }

TEST(ShapeSignature, DistinguishesShapesAndTypes) {
  EXPECT_EQ(Sig(2), Sig(2));
  EXPECT_FALSE(Sig(2) == Sig(3));
  auto as_int = ShapeSignature::Of({Value(Tensor::Allocate(DataType::kInt32, {2, 3}))});
  EXPECT_FALSE(Sig(2) == as_int);
  auto none = ShapeSignature::Of({Value()});
  EXPECT_FALSE(none == Sig(2));
  EXPECT_EQ(Sig(2).Hash(), Sig(2).Hash());
}

TEST(PlanCache, FindsWhatWasInsertedAndKeepsTheFirst) {
  PlanCache cache(4);
  EXPECT_EQ(cache.Find(Sig(1)), nullptr);
  auto first = std::make_shared<const MemoryPlan>();
  auto second = std::make_shared<const MemoryPlan>();
  EXPECT_EQ(cache.Insert(Sig(1), first), first);
  EXPECT_EQ(cache.Insert(Sig(1), second), first);  // a concurrent recorder lost the race
  EXPECT_EQ(cache.Find(Sig(1)), first);
  EXPECT_EQ(cache.size(), 1u);
}

TEST(PlanCache, EvictsTheLeastRecentlyUsed) {
  PlanCache cache(2);
  cache.Insert(Sig(1), std::make_shared<const MemoryPlan>());
  cache.Insert(Sig(2), std::make_shared<const MemoryPlan>());
  ASSERT_NE(cache.Find(Sig(1)), nullptr);  // 2 is now the least recently used
  cache.Insert(Sig(3), std::make_shared<const MemoryPlan>());
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_NE(cache.Find(Sig(1)), nullptr);
  EXPECT_EQ(cache.Find(Sig(2)), nullptr);
  EXPECT_NE(cache.Find(Sig(3)), nullptr);
}

}  // namespace
}  // namespace kiln::planner
