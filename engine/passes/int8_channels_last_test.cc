// Int8ChannelsLastPass: a small quantized residual CNN (what `kiln quantize`
// writes) runs with its int8 activations channels-last between the fused
// integer operators and gives exactly the results of the planar int8 path;
// values that other operators read stay planar.
#include "engine/passes/int8_channels_last.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>

#include "engine/passes/fusion_util.h"
#include "engine/passes/pass_test_util.h"
#include "engine/passes/quantized_model_test_util.h"

namespace kiln::passes {
namespace {

namespace fs = std::filesystem;
using testing::CountKilnOps;
using testing::Normal;
using testing::ResidualCnn;
using testing::SetNodeInts;

Tensor Input(Shape shape, uint32_t seed) { return testing::UniformInput(std::move(shape), seed); }

class Int8ChannelsLast : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("kiln_int8_channels_last_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // `b` quantized with random calibration; the path of the QDQ model.
  std::string Quantize(kiln::testing::ModelBuilder& b, DataType activations) {
    return testing::QuantizeForTest(b, dir_, activations).int8_path;
  }

  fs::path dir_;
};

using Optimized = testing::OptimizedRun;

// The model optimized with or without this pass (the residual fusion off,
// so that the Int8Add stays), or (`reference`) as imported: QuantizeLinear /
// DequantizeLinear around float operators.
Optimized RunOptimized(const std::string& path, const Tensor& x, bool channels_last, int threads,
                       bool reference = false) {
  std::vector<std::string> disabled{"int8_residual_fusion"};
  if (!channels_last) disabled.push_back("int8_channels_last");
  return testing::RunWithPasses(path, x, disabled, threads, !reference);
}

int CountKiln(const ir::Model& m, const std::string& op, const std::string& flag = "") {
  return CountKilnOps(m, op, flag);
}

TEST_F(Int8ChannelsLast, ResidualCnnRunsChannelsLastWithPlanarResults) {
  kiln::testing::ModelBuilder b(13);
  ResidualCnn(b);
  for (DataType activations : {DataType::kUInt8, DataType::kInt8}) {
    const std::string path = Quantize(b, activations);
    const Tensor x = Input({2, 3, 10, 10}, 11);
    for (int threads : {1, 2}) {
      Optimized planar = RunOptimized(path, x, false, threads);
      Optimized chained = RunOptimized(path, x, true, threads);
      EXPECT_EQ(CountKiln(planar.model, "Int8Conv", "x_channels_last"), 0);
      // The stem reads the quantized image channels-last, every int8 value
      // between the fused operators is channels-last, and the last
      // convolution's result leaves through the dequantize before the pooling.
      EXPECT_EQ(CountKiln(chained.model, "QuantizeLinearToChannelsLast"), 1);
      EXPECT_EQ(CountKiln(chained.model, "Int8Conv"), 4);
      EXPECT_EQ(CountKiln(chained.model, "Int8Conv", "x_channels_last"), 4);
      EXPECT_EQ(CountKiln(chained.model, "Int8Conv", "y_channels_last"), 4);
      EXPECT_EQ(CountKiln(chained.model, "MaxPoolChannelsLast"), 1);
      EXPECT_EQ(CountKiln(chained.model, "Int8Add", "channels_last"), 1);
      EXPECT_EQ(CountKiln(chained.model, "DequantizeLinearFromChannelsLast"), 1);
      // Same integer arithmetic in another memory order: identical results.
      ASSERT_EQ(planar.y.shape(), chained.y.shape());
      for (int64_t i = 0; i < planar.y.num_elements(); ++i) {
        ASSERT_EQ(planar.y.data<float>()[i], chained.y.data<float>()[i]) << "element " << i;
      }
      // And near the QDQ semantics (integer vs float accumulation may round
      // an intermediate value to the neighbouring level).
      Optimized reference = RunOptimized(path, x, false, threads, true);
      ASSERT_EQ(reference.y.shape(), chained.y.shape());
      float range = 0, diff = 0;
      for (int64_t i = 0; i < reference.y.num_elements(); ++i) {
        range = std::max(range, std::fabs(reference.y.data<float>()[i]));
        diff = std::max(diff, std::fabs(reference.y.data<float>()[i] - chained.y.data<float>()[i]));
      }
      EXPECT_LE(diff, 3.0f * range / 255.0f + 1e-5f);
    }
  }
}

TEST_F(Int8ChannelsLast, ChainExitDequantizesToPlanar) {
  // The residual sum is the last int8 value: it leaves through a dequantize.
  kiln::testing::ModelBuilder b(13);
  b.Input("x", DataType::kFloat, {1, 4, 6, 7}).Output("y", DataType::kFloat, {1, 4, 1, 1});
  b.Initializer("w1", Normal(4 * 4 * 9, 0.3f, 21), {4, 4, 3, 3});
  b.Initializer("w2", Normal(4 * 4, 0.3f, 23), {4, 4, 1, 1});
  b.Node("Conv", {"x", "w1"}, {"c"}).Node("Relu", {"c"}, {"r"}).Node("Conv", {"r", "w2"}, {"d"});
  b.Node("Add", {"d", "r"}, {"s"}).Node("GlobalAveragePool", {"s"}, {"y"});
  SetNodeInts(b.proto(), 0, "pads", {1, 1, 1, 1});
  const std::string path = Quantize(b, DataType::kUInt8);
  const Tensor x = Input({1, 4, 6, 7}, 22);
  Optimized planar = RunOptimized(path, x, false, 1);
  Optimized chained = RunOptimized(path, x, true, 1);
  EXPECT_EQ(CountKiln(chained.model, "Int8Add", "channels_last"), 1);
  EXPECT_EQ(CountKiln(chained.model, "DequantizeLinearFromChannelsLast"), 1);
  ASSERT_EQ(planar.y.shape(), chained.y.shape());
  for (int64_t i = 0; i < planar.y.num_elements(); ++i) {
    ASSERT_EQ(planar.y.data<float>()[i], chained.y.data<float>()[i]) << "element " << i;
  }
}

// IR level: x_q -> Int8Conv a -> Int8Add(a, x_q) -> s ; s is also read by a Relu.
TEST(Int8ChannelsLastPass, KeepsValuesOtherOperatorsReadPlain) {
  using namespace passes::testing;
  ir::Model m = NewModel();
  ImportKilnDomain(m);
  AddInput(m, "xf", {1, 2, 3, 3});
  AddConstant(m, "scale", Scalar(0.1f));
  Tensor zp = Tensor::Allocate(DataType::kUInt8, {});
  zp.data<uint8_t>()[0] = 128;
  AddConstant(m, "zp", zp);
  Tensor w = Tensor::Allocate(DataType::kInt8, {2, 2, 1, 1});
  for (int i = 0; i < 4; ++i) w.data<int8_t>()[i] = static_cast<int8_t>(i - 2);
  AddConstant(m, "w", w);
  AddConstant(m, "wscale", Tensor::FromVector<float>({2}, {0.01f, 0.02f}));
  AddNode(m, "QuantizeLinear", {"xf", "scale", "zp"}, {"xq"});
  ir::Node& conv = AddNode(m, "Int8Conv", {"xq", "scale", "zp", "w", "wscale", "", "scale", "zp"}, {"a"});
  conv.domain = kKilnDomain;
  ir::Node& add = AddNode(m, "Int8Add", {"a", "scale", "zp", "xq", "scale", "zp", "scale", "zp"}, {"s"});
  add.domain = kKilnDomain;
  AddNode(m, "DequantizeLinear", {"s", "scale", "zp"}, {"y"});
  AddOutput(m, "y");
  ir::Model with_reader = m;
  AddNode(with_reader, "Identity", {"s"}, {"s2"});
  AddOutput(with_reader, "s2");

  // s is read only by the exit dequantize: everything chains.
  ASSERT_TRUE(*Int8ChannelsLastPass().Run(m));
  EXPECT_EQ(m.graph.nodes[0].op_type, "QuantizeLinearToChannelsLast");
  EXPECT_EQ(m.graph.nodes[1].GetInt("x_channels_last", 0), 1);
  EXPECT_EQ(m.graph.nodes[1].GetInt("y_channels_last", 0), 1);
  EXPECT_EQ(m.graph.nodes[2].GetInt("channels_last", 0), 1);
  EXPECT_EQ(m.graph.nodes[3].op_type, "DequantizeLinearFromChannelsLast");
  EXPECT_FALSE(*Int8ChannelsLastPass().Run(m));  // idempotent

  // An Identity reads s: the Int8Add stays planar, so its addends do too,
  // and nothing is left to chain.
  EXPECT_FALSE(*Int8ChannelsLastPass().Run(with_reader));
  EXPECT_EQ(with_reader.graph.nodes[0].op_type, "QuantizeLinear");
  EXPECT_EQ(with_reader.graph.nodes[1].GetInt("x_channels_last", 0), 0);
  EXPECT_EQ(with_reader.graph.nodes[1].GetInt("y_channels_last", 0), 0);
  EXPECT_EQ(with_reader.graph.nodes[2].GetInt("channels_last", 0), 0);
  EXPECT_EQ(with_reader.graph.nodes[3].op_type, "DequantizeLinear");
}

}  // namespace
}  // namespace kiln::passes
