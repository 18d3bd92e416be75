#include "engine/passes/layer_norm_fusion.h"

#include "engine/passes/pass_test_util.h"

namespace kiln::passes {
namespace {

using namespace testing;

// Rows with different means and spreads.
Tensor Rows(const Shape& shape) {
  Tensor t = Tensor::Allocate(DataType::kFloat, shape);
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    const float k = static_cast<float>(i);
    t.data<float>()[i] = 0.3f * k + static_cast<float>((i * 7) % 5) * (1.0f + 0.1f * k);
  }
  return t;
}

// The decomposition torch.onnx emits for nn.LayerNorm below opset 17.
ir::Model DecomposedLayerNorm(bool square_by_mul = false) {
  ir::Model m = NewModel();
  AddInput(m, "x", {2, 3, 8});
  AddConstant(m, "two", Scalar(2.0f));
  AddConstant(m, "eps", Scalar(1e-5f));
  AddConstant(m, "gamma", Ramp({8}));
  AddConstant(m, "beta", Ramp({8}));
  SetInts(AddNode(m, "ReduceMean", {"x"}, {"mean"}), "axes", {-1});
  AddNode(m, "Sub", {"x", "mean"}, {"d"});
  if (square_by_mul) {
    AddNode(m, "Mul", {"d", "d"}, {"sq"});
  } else {
    AddNode(m, "Pow", {"d", "two"}, {"sq"});
  }
  SetInts(AddNode(m, "ReduceMean", {"sq"}, {"var"}), "axes", {-1});
  AddNode(m, "Add", {"var", "eps"}, {"ve"});
  AddNode(m, "Sqrt", {"ve"}, {"std"});
  AddNode(m, "Div", {"d", "std"}, {"n"});
  AddNode(m, "Mul", {"n", "gamma"}, {"g"});
  AddNode(m, "Add", {"beta", "g"}, {"y"});
  AddOutput(m, "y");
  return m;
}

TEST(LayerNormFusion, FusesTorchDecomposition) {
  for (bool square_by_mul : {false, true}) {
    ir::Model m = DecomposedLayerNorm(square_by_mul);
    ir::Model original = m;
    ASSERT_TRUE(*LayerNormFusionPass().Run(m));
    ASSERT_EQ(m.graph.nodes.size(), 1u);
    const ir::Node& ln = m.graph.nodes[0];
    EXPECT_EQ(ln.op_type, "LayerNormalization");
    EXPECT_EQ(ln.inputs, (std::vector<std::string>{"x", "gamma", "beta"}));
    EXPECT_EQ(ln.outputs, (std::vector<std::string>{"y"}));
    EXPECT_EQ(ln.GetInt("axis", 0), -1);
    EXPECT_FLOAT_EQ(ln.GetFloat("epsilon", 0), 1e-5f);
    ExpectSameResults(original, m, {{"x", Value(Rows({2, 3, 8}))}});
  }
}

TEST(LayerNormFusion, FusesTwoTrailingAxesWithoutScaleOrBias) {
  ir::Model m = NewModel();
  AddInput(m, "x", {2, 3, 4});
  AddConstant(m, "eps", Scalar(1e-3f));
  SetInts(AddNode(m, "ReduceMean", {"x"}, {"mean"}), "axes", {2, 1});
  AddNode(m, "Sub", {"x", "mean"}, {"d"});
  AddNode(m, "Mul", {"d", "d"}, {"sq"});
  SetInts(AddNode(m, "ReduceMean", {"sq"}, {"var"}), "axes", {-2, -1});
  AddNode(m, "Add", {"eps", "var"}, {"ve"});
  AddNode(m, "Sqrt", {"ve"}, {"std"});
  AddNode(m, "Div", {"d", "std"}, {"y"});
  AddOutput(m, "y");
  ir::Model original = m;
  ASSERT_TRUE(*LayerNormFusionPass().Run(m));
  ASSERT_EQ(m.graph.nodes.size(), 1u);
  EXPECT_EQ(m.graph.nodes[0].GetInt("axis", 0), -2);
  EXPECT_EQ(m.graph.nodes[0].inputs.size(), 2u);  // x and a constant scale of 1
  ExpectSameResults(original, m, {{"x", Value(Rows({2, 3, 4}))}});
}

TEST(LayerNormFusion, KeepsScaleThatIsNotAConstant) {
  ir::Model m = DecomposedLayerNorm();
  AddInput(m, "g_in", {8});
  m.graph.nodes[7].inputs = {"n", "g_in"};
  ir::Model original = m;
  ASSERT_TRUE(*LayerNormFusionPass().Run(m));
  // The normalization is fused; the Mul by a runtime value and the Add stay.
  EXPECT_EQ(CountOps(m.graph, "LayerNormalization"), 1);
  EXPECT_EQ(CountOps(m.graph, "Mul"), 1);
  EXPECT_EQ(CountOps(m.graph, "Add"), 1);
  ExpectSameResults(original, m, {{"x", Value(Rows({2, 3, 8}))}, {"g_in", Value(Ramp({8}))}});
}

TEST(LayerNormFusion, KeepsNonTrailingAxesAndSharedIntermediates) {
  ir::Model m = DecomposedLayerNorm();
  SetInts(m.graph.nodes[0], "axes", {1});
  SetInts(m.graph.nodes[3], "axes", {1});
  EXPECT_FALSE(*LayerNormFusionPass().Run(m));

  m = DecomposedLayerNorm();
  AddOutput(m, "var");
  EXPECT_FALSE(*LayerNormFusionPass().Run(m));

  m = DecomposedLayerNorm();
  SetInt(m.graph.nodes[0], "keepdims", 0);
  EXPECT_FALSE(*LayerNormFusionPass().Run(m));
}

}  // namespace
}  // namespace kiln::passes
