#include "engine/onnx/tensor_proto.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "onnx/onnx_pb.h"

namespace kiln::onnx_import {
namespace {

onnx::TensorProto FloatProto(const std::vector<float>& values) {
  onnx::TensorProto p;
  p.set_name("W");
  p.set_data_type(onnx::TensorProto::FLOAT);
  p.add_dims(static_cast<int64_t>(values.size()));
  p.set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float)));
  return p;
}

std::vector<float> Ramp(size_t n) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>(i) * 0.5f - 3.0f;
  return v;
}

TEST(TakeTensorFromProtoTest, LargePayloadMovesOutOfTheProto) {
  std::vector<float> values = Ramp(4096);
  onnx::TensorProto p = FloatProto(values);
  auto t = TakeTensorFromProto(p, "");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_TRUE(p.raw_data().empty());
  ASSERT_EQ(t->shape(), Shape({4096}));
  EXPECT_EQ(std::memcmp(t->data<float>(), values.data(), values.size() * sizeof(float)), 0);
}

TEST(TakeTensorFromProtoTest, SmallPayloadIsCopiedAndTheProtoKept) {
  std::vector<float> values = Ramp(8);
  onnx::TensorProto p = FloatProto(values);
  auto t = TakeTensorFromProto(p, "");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(p.raw_data().size(), values.size() * sizeof(float));
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t->raw_data()) % 64, 0u);
  EXPECT_EQ(std::memcmp(t->data<float>(), values.data(), values.size() * sizeof(float)), 0);
}

TEST(TakeTensorFromProtoTest, AdoptedBoolPayloadIsNormalised) {
  onnx::TensorProto p;
  p.set_data_type(onnx::TensorProto::BOOL);
  p.add_dims(8192);
  std::string bytes(8192, '\0');
  for (size_t i = 0; i < bytes.size(); i += 3) bytes[i] = static_cast<char>(i % 7 + 2);  // non-zero, not 1
  p.set_raw_data(bytes);
  auto t = TakeTensorFromProto(p, "");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  for (size_t i = 0; i < bytes.size(); ++i) {
    uint8_t stored;
    std::memcpy(&stored, t->data<bool>() + i, 1);
    ASSERT_EQ(stored, i % 3 == 0 ? 1 : 0) << "at " << i;
  }
}

TEST(TakeTensorFromProtoTest, SizeMismatchIsRefusedAndThePayloadKept) {
  onnx::TensorProto p = FloatProto(Ramp(2048));
  p.set_dims(0, 2049);
  auto t = TakeTensorFromProto(p, "");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(p.raw_data().size(), 2048 * sizeof(float));
}

TEST(TensorFromProtoTest, ConstProtoIsNeverEmptied) {
  std::vector<float> values = Ramp(4096);
  const onnx::TensorProto p = FloatProto(values);
  auto t = TensorFromProto(p, "");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(p.raw_data().size(), values.size() * sizeof(float));
  EXPECT_EQ(std::memcmp(t->data<float>(), values.data(), values.size() * sizeof(float)), 0);
}

}  // namespace
}  // namespace kiln::onnx_import
