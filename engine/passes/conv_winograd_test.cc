#include "engine/passes/conv_winograd.h"

#include <algorithm>
#include <cmath>

#include "engine/passes/conv_channels_last.h"
#include "engine/passes/conv_fusion.h"
#include "engine/passes/pass_test_util.h"

namespace kiln::passes {
namespace {

using namespace testing;

// Values in [-0.5, 0.5) that vary along every dimension (weights and inputs).
Tensor Weights(const Shape& shape) {
  Tensor t = Tensor::Allocate(DataType::kFloat, shape);
  float* w = t.data<float>();
  for (int64_t i = 0; i < t.num_elements(); ++i) w[i] = static_cast<float>((i * 7919) % 1000) / 1000.0f - 0.5f;
  return t;
}

ir::Node& AddConv(ir::Model& m, const std::string& x, const std::string& w, const std::string& y) {
  ir::Node& conv = AddNode(m, "Conv", {x, w}, {y});
  SetInts(conv, "pads", {1, 1, 1, 1});
  return conv;
}

// The largest difference between two float tensors of one shape.
float MaxDifference(const Tensor& a, const Tensor& b) {
  float most = 0;
  for (int64_t i = 0; i < a.num_elements(); ++i) most = std::max(most, std::fabs(a.data<float>()[i] - b.data<float>()[i]));
  return most;
}

TEST(ConvWinograd, MarksThreeByThreeStrideOneConvolutions) {
  // 28x28: the kernel runs Winograd. 10x10: too small to pay, it runs the
  // direct algorithm (dnnl_conv.cc, UsesWinograd).
  for (int64_t size : {28, 10}) {
    ir::Model m = NewModel();
    AddInput(m, "x", {1, 32, size, size});
    AddConstant(m, "W", Weights({48, 32, 3, 3}));
    AddConv(m, "x", "W", "y");
    AddOutput(m, "y");
    const ir::Model original = m;
    ASSERT_TRUE(*ConvWinogradPass().Run(m));
    const ir::Node* conv = FindKilnNode(m, "FusedConv");
    ASSERT_NE(conv, nullptr);
    EXPECT_EQ(conv->GetString("algorithm", ""), "winograd");
    EXPECT_FALSE(*ConvWinogradPass().Run(m));  // idempotent
    // Winograd rounds differently from the direct sum; the error stays far
    // below what a 288-term float dot product tolerates.
    const Value x(Weights({1, 32, size, size}));
    const std::vector<Value> expected = RunModel(original, {{"x", x}});
    const std::vector<Value> actual = RunModel(m, {{"x", x}});
    ASSERT_EQ(actual.size(), 1u);
    EXPECT_EQ(kiln::testing::CompareValues(actual[0], expected[0], {1e-4, 1e-4}), "") << size;
    if (size == 28) {
      EXPECT_GT(MaxDifference(actual[0].tensor(), expected[0].tensor()), 0.0f) << "not Winograd?";
    }
  }
}

TEST(ConvWinograd, RunsInsideAChannelsLastChain) {
  ir::Model m = NewModel();
  AddInput(m, "x", {2, 32, 20, 20});
  AddConstant(m, "Wa", Weights({32, 32, 3, 3}));
  AddConstant(m, "Wb", Weights({32, 32, 3, 3}));
  AddConv(m, "x", "Wa", "a");
  DeclareFloat(m, "a", {2, 32, 20, 20});
  AddNode(m, "Relu", {"a"}, {"r"});
  DeclareFloat(m, "r", {2, 32, 20, 20});
  AddConv(m, "r", "Wb", "y");
  AddOutput(m, "y");
  const ir::Model original = m;
  ASSERT_TRUE(*ConvFusionPass().Run(m));
  ASSERT_TRUE(*ConvChannelsLastPass().Run(m));
  ASSERT_TRUE(*ConvWinogradPass().Run(m));
  for (const ir::Node& n : m.graph.nodes) EXPECT_EQ(n.GetString("algorithm", ""), "winograd") << n.name;
  const std::vector<Value> expected = RunModel(original, {{"x", Value(Weights({2, 32, 20, 20}))}});
  const std::vector<Value> actual = RunModel(m, {{"x", Value(Weights({2, 32, 20, 20}))}});
  ASSERT_EQ(actual.size(), 1u);
  EXPECT_EQ(kiln::testing::CompareValues(actual[0], expected[0], {1e-4, 1e-4}), "");
}

TEST(ConvWinograd, LeavesOtherConvolutionsDirect) {
  struct Case {
    const char* what;
    Shape weights;
    std::vector<int64_t> strides, dilations;
    int64_t group;
  };
  const Case cases[] = {
      {"1x1 kernel", {32, 32, 1, 1}, {1, 1}, {1, 1}, 1},
      {"stride 2", {32, 32, 3, 3}, {2, 2}, {1, 1}, 1},
      {"dilation 2", {32, 32, 3, 3}, {1, 1}, {2, 2}, 1},
      {"grouped", {32, 16, 3, 3}, {1, 1}, {1, 1}, 2},
      {"few channels", {16, 32, 3, 3}, {1, 1}, {1, 1}, 1},
      {"5x5 kernel", {32, 32, 5, 5}, {1, 1}, {1, 1}, 1},
  };
  for (const Case& c : cases) {
    ir::Model m = NewModel();
    AddInput(m, "x", {1, 32, 10, 10});
    AddConstant(m, "W", Weights(c.weights));
    ir::Node& conv = AddConv(m, "x", "W", "y");
    SetInts(conv, "strides", c.strides);
    SetInts(conv, "dilations", c.dilations);
    SetInt(conv, "group", c.group);
    AddOutput(m, "y");
    EXPECT_FALSE(*ConvWinogradPass().Run(m)) << c.what;
  }
}

}  // namespace
}  // namespace kiln::passes
