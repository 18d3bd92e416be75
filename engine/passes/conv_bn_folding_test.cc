#include "engine/passes/conv_bn_folding.h"

#include "engine/passes/pass_test_util.h"

namespace kiln::passes {
namespace {

using namespace testing;

ir::Model ConvBatchNorm(bool conv_bias) {
  ir::Model m = NewModel();
  AddInput(m, "x", {1, 2, 4, 4});
  AddConstant(m, "W", Ramp({3, 2, 3, 3}));
  if (conv_bias) AddConstant(m, "B", Tensor::FromVector<float>({3}, {0.5f, -0.25f, 1.0f}));
  AddConstant(m, "scale", Tensor::FromVector<float>({3}, {1.5f, 0.5f, -2.0f}));
  AddConstant(m, "bias", Tensor::FromVector<float>({3}, {0.1f, 0.2f, 0.3f}));
  AddConstant(m, "mean", Tensor::FromVector<float>({3}, {0.3f, -0.4f, 0.0f}));
  AddConstant(m, "var", Tensor::FromVector<float>({3}, {0.9f, 2.0f, 0.25f}));
  ir::Node& conv = AddNode(m, "Conv", conv_bias ? std::vector<std::string>{"x", "W", "B"} : std::vector<std::string>{"x", "W"}, {"c"});
  SetInts(conv, "pads", {1, 1, 1, 1});
  AddNode(m, "BatchNormalization", {"c", "scale", "bias", "mean", "var"}, {"y"});
  AddOutput(m, "y");
  return m;
}

TEST(ConvBatchNormFolding, FoldsIntoWeightsAndBias) {
  for (bool conv_bias : {false, true}) {
    ir::Model m = ConvBatchNorm(conv_bias);
    ir::Model original = m;
    ASSERT_TRUE(*ConvBatchNormFoldingPass().Run(m));
    ASSERT_EQ(m.graph.nodes.size(), 1u);
    EXPECT_EQ(m.graph.nodes[0].op_type, "Conv");
    EXPECT_EQ(m.graph.nodes[0].outputs[0], "y");
    EXPECT_EQ(m.graph.nodes[0].inputs.size(), 3u);
    ExpectSameResults(original, m, {{"x", Value(Ramp({1, 2, 4, 4}))}});
  }
}

TEST(ConvBatchNormFolding, SkipsConvWithOtherReadersOrVariableWeights) {
  ir::Model shared = ConvBatchNorm(true);
  AddNode(shared, "Relu", {"c"}, {"r"});
  AddOutput(shared, "r");
  EXPECT_FALSE(*ConvBatchNormFoldingPass().Run(shared));

  ir::Model fed = ConvBatchNorm(false);
  AddInput(fed, "W", {3, 2, 3, 3});  // the weights may be fed at run time
  EXPECT_FALSE(*ConvBatchNormFoldingPass().Run(fed));
}

}  // namespace
}  // namespace kiln::passes
