#include "server/scheduler/batch_assembler.h"

#include <gtest/gtest.h>

namespace kiln::server {
namespace {

Tensor Floats(Shape shape, float start) {
  Tensor t = Tensor::Allocate(DataType::kFloat, std::move(shape));
  for (int64_t i = 0; i < t.num_elements(); ++i) t.data<float>()[i] = start + static_cast<float>(i);
  return t;
}

TEST(BatchAssembler, MergesAlongTheFirstDimensionInOrder) {
  TensorMap a{{"X", Floats({1, 2}, 0)}, {"Y", Tensor::FromVector<int64_t>({1}, {7})}};
  TensorMap b{{"X", Floats({2, 2}, 10)}, {"Y", Tensor::FromVector<int64_t>({2}, {8, 9})}};
  auto merged = MergeInputs({&a, &b});
  ASSERT_TRUE(merged.ok()) << merged.status().ToString();
  EXPECT_EQ(merged->at("X").shape(), (Shape{3, 2}));
  EXPECT_EQ(merged->at("X").ToVector<float>(), (std::vector<float>{0, 1, 10, 11, 12, 13}));
  EXPECT_EQ(merged->at("Y").ToVector<int64_t>(), (std::vector<int64_t>{7, 8, 9}));
}

TEST(BatchAssembler, SingleRequestIsNotCopied) {
  TensorMap a{{"X", Floats({2, 2}, 0)}};
  auto merged = MergeInputs({&a});
  ASSERT_TRUE(merged.ok());
  EXPECT_TRUE(merged->at("X").SharesStorageWith(a.at("X")));
}

TEST(BatchAssembler, MergesStrings) {
  Tensor s1 = Tensor::Allocate(DataType::kString, {1});
  s1.data<std::string>()[0] = "one";
  Tensor s2 = Tensor::Allocate(DataType::kString, {2});
  s2.data<std::string>()[0] = "two";
  s2.data<std::string>()[1] = "three";
  TensorMap a{{"S", s1}}, b{{"S", s2}};
  auto merged = MergeInputs({&a, &b});
  ASSERT_TRUE(merged.ok());
  const std::string* s = merged->at("S").data<std::string>();
  EXPECT_EQ(s[0], "one");
  EXPECT_EQ(s[1], "two");
  EXPECT_EQ(s[2], "three");
  auto split = SplitOutputs(*merged, {1, 2});
  ASSERT_TRUE(split.ok());
  EXPECT_EQ((*split)[1].at("S").data<std::string>()[1], "three");
}

TEST(BatchAssembler, OnlyRequestsWithEqualNonBatchDimsMerge) {
  TensorMap a{{"X", Floats({1, 3}, 0)}};
  TensorMap b{{"X", Floats({4, 3}, 0)}};
  TensorMap c{{"X", Floats({1, 5}, 0)}};
  TensorMap d{{"X", Tensor::Allocate(DataType::kInt32, {1, 3})}};
  TensorMap e{{"Z", Floats({1, 3}, 0)}};
  TensorMap f{{"X", Floats({1, 3, 1}, 0)}};
  EXPECT_TRUE(CanMergeInputs(a, b));
  EXPECT_FALSE(CanMergeInputs(a, c));
  EXPECT_FALSE(CanMergeInputs(a, d));
  EXPECT_FALSE(CanMergeInputs(a, e));
  EXPECT_FALSE(CanMergeInputs(a, f));
  auto merged = MergeInputs({&a, &c});
  EXPECT_FALSE(merged.ok());
  EXPECT_EQ(merged.status().code(), StatusCode::kInvalidArgument);
}

TEST(BatchAssembler, SplitsOutputsByBatchSizesSharingStorage) {
  TensorMap outputs{{"Y", Floats({4, 2}, 0)}};
  auto pieces = SplitOutputs(outputs, {1, 3});
  ASSERT_TRUE(pieces.ok()) << pieces.status().ToString();
  ASSERT_EQ(pieces->size(), 2u);
  EXPECT_EQ((*pieces)[0].at("Y").shape(), (Shape{1, 2}));
  EXPECT_EQ((*pieces)[0].at("Y").ToVector<float>(), (std::vector<float>{0, 1}));
  EXPECT_EQ((*pieces)[1].at("Y").shape(), (Shape{3, 2}));
  EXPECT_EQ((*pieces)[1].at("Y").ToVector<float>(), (std::vector<float>{2, 3, 4, 5, 6, 7}));
  EXPECT_TRUE((*pieces)[1].at("Y").SharesStorageWith((*pieces)[0].at("Y")));
}

TEST(BatchAssembler, SplitRejectsOutputsWithoutTheBatchDimension) {
  TensorMap outputs{{"Y", Floats({3}, 0)}};
  auto pieces = SplitOutputs(outputs, {1, 1});
  ASSERT_FALSE(pieces.ok());
  EXPECT_EQ(pieces.status().code(), StatusCode::kInternal);
  EXPECT_NE(pieces.status().message().find("'Y'"), std::string::npos);
}

TEST(BatchAssembler, RequestBatchSizeIsTheFirstDimension) {
  EXPECT_EQ(RequestBatchSize({{"X", Floats({5, 2}, 0)}}), 5);
  EXPECT_EQ(RequestBatchSize({}), 1);
}

}  // namespace
}  // namespace kiln::server
