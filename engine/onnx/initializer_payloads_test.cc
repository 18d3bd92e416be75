#include "engine/onnx/initializer_payloads.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "engine/onnx/model_loader.h"
#include "engine/runtime/session.h"
#include "onnx/onnx_pb.h"
#include "tests/support/model_builder.h"

namespace kiln::onnx_import {
namespace {

// Y = MatMul(X, W) + B with W big (raw_data), B small (raw_data) and a
// typed-field initializer S.
testing::ModelBuilder MatMulModel(int64_t k, int64_t n) {
  testing::ModelBuilder b;
  b.Input("X", DataType::kFloat, {1, k});
  b.Node("MatMul", {"X", "W"}, {"m"}).Node("Add", {"m", "B"}, {"a"}).Node("Mul", {"a", "S"}, {"Y"});
  b.Output("Y", DataType::kFloat, {1, n});
  auto raw = [&](const std::string& name, std::vector<int64_t> dims, float scale) {
    auto* t = b.proto().mutable_graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    int64_t count = 1;
    for (int64_t d : dims) {
      t->add_dims(d);
      count *= d;
    }
    std::vector<float> values(static_cast<size_t>(count));
    for (size_t i = 0; i < values.size(); ++i) values[i] = scale * static_cast<float>(i % 7);
    t->set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float)));
  };
  raw("W", {k, n}, 0.5f);
  raw("B", {n}, 1.0f);
  b.Initializer("S", {2.0f}, {1});
  return b;
}

TEST(StripInitializerPayloads, EmptiesLargePayloadsAndRecordsWhereTheyAre) {
  const std::string bytes = MatMulModel(64, 128).Serialize();
  auto stripped = StripInitializerPayloads(bytes.data(), bytes.size(), 1024);
  ASSERT_TRUE(stripped.has_value());
  EXPECT_LT(stripped->skeleton.size(), bytes.size() - 64 * 128 * sizeof(float) + 64);

  onnx::ModelProto original, skeleton;
  ASSERT_TRUE(original.ParseFromString(bytes));
  ASSERT_TRUE(skeleton.ParseFromString(stripped->skeleton));
  const auto& ranges = stripped->payloads.ranges;
  ASSERT_EQ(ranges.size(), 3u);
  // W: stripped, and the range holds exactly its raw_data.
  ASSERT_NE(ranges[0].length, InitializerPayloads::kNotStripped);
  EXPECT_EQ(skeleton.graph().initializer(0).raw_data().size(), 1u);  // a placeholder
  EXPECT_EQ(std::string(bytes.data() + ranges[0].offset, ranges[0].length), original.graph().initializer(0).raw_data());
  // B and S: small, kept.
  EXPECT_EQ(ranges[1].length, InitializerPayloads::kNotStripped);
  EXPECT_EQ(ranges[2].length, InitializerPayloads::kNotStripped);
  EXPECT_EQ(skeleton.graph().initializer(1).raw_data(), original.graph().initializer(1).raw_data());
  // Everything else is unchanged.
  skeleton.mutable_graph()->mutable_initializer(0)->set_raw_data(original.graph().initializer(0).raw_data());
  EXPECT_EQ(skeleton.SerializeAsString(), original.SerializeAsString());
}

TEST(StripInitializerPayloads, DeclinesWhenNothingIsLargeOrBytesAreBroken) {
  const std::string bytes = MatMulModel(4, 4).Serialize();
  EXPECT_FALSE(StripInitializerPayloads(bytes.data(), bytes.size(), 1024).has_value());
  const std::string big = MatMulModel(64, 128).Serialize();
  EXPECT_FALSE(StripInitializerPayloads(big.data(), big.size() / 2, 1024).has_value());  // truncated
  const std::string garbage(100, '\xff');
  EXPECT_FALSE(StripInitializerPayloads(garbage.data(), garbage.size(), 1).has_value());
  EXPECT_FALSE(StripInitializerPayloads(nullptr, 0, 1).has_value());
}

TEST(LoadModelFile, BorrowedWeightsGiveTheSameResults) {
  namespace fs = std::filesystem;
  const fs::path path = fs::temp_directory_path() / ("kiln_payloads_" + std::to_string(::getpid()) + ".onnx");
  testing::ModelBuilder b = MatMulModel(64, 128);  // W: 32 KiB, above the loader's threshold
  b.Save(path.string());
  auto from_file = Session::Create(path.string());
  auto from_bytes = LoadModelBytes(b.Serialize(), "");
  fs::remove(path);  // the mapping keeps the data alive
  ASSERT_TRUE(from_file.ok()) << from_file.status().ToString();
  ASSERT_TRUE(from_bytes.ok());
  auto reference = Session::Create(std::move(from_bytes).value());
  ASSERT_TRUE(reference.ok());
  Tensor x = Tensor::Allocate(DataType::kFloat, {1, 64});
  for (int64_t i = 0; i < 64; ++i) x.data<float>()[i] = static_cast<float>(i) * 0.25f - 3.0f;
  auto got = (*from_file)->Run({{"X", x}});
  auto want = (*reference)->Run({{"X", x}});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_TRUE(want.ok());
  const Tensor& g = (*got)[0].tensor();
  const Tensor& w = (*want)[0].tensor();
  ASSERT_EQ(g.shape(), w.shape());
  EXPECT_EQ(0, std::memcmp(g.raw_data(), w.raw_data(), g.byte_size()));
}

}  // namespace
}  // namespace kiln::onnx_import
