#include "engine/io/npy.h"

#include <gtest/gtest.h>

namespace kiln::io {
namespace {

TEST(Npy, RoundTripsEveryNumericType) {
  for (DataType dt : {DataType::kFloat, DataType::kDouble, DataType::kFloat16, DataType::kBFloat16, DataType::kInt8,
                      DataType::kInt16, DataType::kInt32, DataType::kInt64, DataType::kUInt8, DataType::kUInt16,
                      DataType::kUInt32, DataType::kUInt64, DataType::kBool}) {
    Tensor t = Tensor::Allocate(dt, {2, 3}, /*zeroed=*/true);
    auto* bytes = static_cast<uint8_t*>(t.raw_data());
    for (size_t i = 0; i < t.byte_size(); ++i) bytes[i] = dt == DataType::kBool ? (i % 2) : static_cast<uint8_t>(i * 7);
    auto back = ParseNpy(SerializeNpy(t), "test");
    ASSERT_TRUE(back.ok()) << DataTypeName(dt) << ": " << back.status().ToString();
    EXPECT_EQ(back->dtype(), dt);
    EXPECT_EQ(back->shape(), t.shape());
    EXPECT_EQ(0, std::memcmp(back->raw_data(), t.raw_data(), t.byte_size())) << DataTypeName(dt);
  }
}

TEST(Npy, RoundTripsScalarsAndEmptyArrays) {
  for (Shape shape : {Shape{}, Shape{0}, Shape{3, 0, 2}, Shape{5}}) {
    Tensor t = Tensor::Allocate(DataType::kFloat, shape, true);
    auto back = ParseNpy(SerializeNpy(t), "test");
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(back->shape(), shape);
  }
}

TEST(Npy, RoundTripsUnicodeStrings) {
  Tensor t = Tensor::FromVector<std::string>({3}, {"abc", "", "grüße ✓"});
  auto back = ParseNpy(SerializeNpy(t), "test");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->dtype(), DataType::kString);
  EXPECT_EQ(back->data<std::string>()[0], "abc");
  EXPECT_EQ(back->data<std::string>()[1], "");
  EXPECT_EQ(back->data<std::string>()[2], "grüße ✓");
}

TEST(Npy, RejectsBadInput) {
  EXPECT_FALSE(ParseNpy("garbage", "x").ok());
  std::string good = SerializeNpy(Tensor::Allocate(DataType::kFloat, {4}, true));
  auto truncated = ParseNpy(good.substr(0, good.size() - 1), "x");
  ASSERT_FALSE(truncated.ok());
  EXPECT_NE(truncated.status().message().find("truncated"), std::string::npos);
  std::string fortran = good;
  fortran.replace(fortran.find("False"), 5, "True ");
  EXPECT_FALSE(ParseNpy(fortran, "x").ok());
  std::string big_endian = good;
  big_endian.replace(big_endian.find("<f4"), 3, ">f4");
  auto be = ParseNpy(big_endian, "x");
  ASSERT_FALSE(be.ok());
  EXPECT_NE(be.status().message().find("big-endian"), std::string::npos);
}

}  // namespace
}  // namespace kiln::io
