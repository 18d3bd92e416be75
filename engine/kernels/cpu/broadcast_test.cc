#include "engine/kernels/cpu/broadcast.h"

#include <gtest/gtest.h>

namespace kiln::cpu {
namespace {

TEST(Broadcast, Shapes) {
  EXPECT_EQ(*BroadcastShapes({{2, 3, 4}, {4}}), (Shape{2, 3, 4}));
  EXPECT_EQ(*BroadcastShapes({{2, 1, 4}, {3, 1}}), (Shape{2, 3, 4}));
  EXPECT_EQ(*BroadcastShapes({{}, {5}}), (Shape{5}));
  EXPECT_EQ(*BroadcastShapes({{0, 1}, {1, 3}}), (Shape{0, 3}));
  auto bad = BroadcastShapes({{2, 3}, {4}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("[2,3] and [4]"), std::string::npos);
}

TEST(Broadcast, LoopMatchesNaiveIndexing) {
  Tensor a = Tensor::Allocate(DataType::kInt64, {2, 1, 3});
  Tensor b = Tensor::Allocate(DataType::kInt64, {4, 1});
  for (int i = 0; i < 6; ++i) a.data<int64_t>()[i] = i;
  for (int i = 0; i < 4; ++i) b.data<int64_t>()[i] = 100 * i;
  Tensor out = Tensor::Allocate(DataType::kInt64, {2, 4, 3});
  BinaryBroadcastLoop<int64_t, int64_t, int64_t>(a, b, out, [](int64_t x, int64_t y) { return x + y; });
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 4; ++j)
      for (int k = 0; k < 3; ++k) EXPECT_EQ(out.data<int64_t>()[(i * 4 + j) * 3 + k], (i * 3 + k) + 100 * j);
}

TEST(Broadcast, LegacyAxis) {
  EXPECT_EQ(*LegacyBroadcastShape({2, 3, 4, 5}, {3, 4}, 1, true), (Shape{1, 3, 4, 1}));
  EXPECT_EQ(*LegacyBroadcastShape({2, 3, 4, 5}, {5}, 0, false), (Shape{1, 1, 1, 5}));
  EXPECT_FALSE(LegacyBroadcastShape({2, 3}, {4, 5, 6}, 0, false).ok());
}

}  // namespace
}  // namespace kiln::cpu
