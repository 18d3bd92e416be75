#include "engine/passes/matmul_fusion.h"

#include "engine/passes/pass_test_util.h"

namespace kiln::passes {
namespace {

using namespace testing;

TEST(MatMulFusion, FusesBiasAndActivation) {
  ir::Model m = NewModel();
  AddInput(m, "a", {2, 3, 4});
  AddConstant(m, "B", Ramp({4, 5}));
  AddConstant(m, "bias", Ramp({5}));
  AddNode(m, "MatMul", {"a", "B"}, {"p"});
  AddNode(m, "Add", {"bias", "p"}, {"s"});
  AddNode(m, "Tanh", {"s"}, {"y"});
  AddOutput(m, "y");
  ir::Model original = m;
  ASSERT_TRUE(*MatMulFusionPass().Run(m));
  ASSERT_EQ(m.graph.nodes.size(), 1u);
  const ir::Node& fused = m.graph.nodes[0];
  EXPECT_EQ(fused.op_type, "FusedMatMul");
  EXPECT_EQ(fused.domain, "kiln");
  EXPECT_EQ(fused.GetString("activation", ""), "Tanh");
  ASSERT_EQ(fused.inputs.size(), 3u);
  ExpectSameResults(original, m, {{"a", Value(Ramp({2, 3, 4}))}});
}

TEST(MatMulFusion, FusesVectorBiasWhateverTheRankOfA) {
  ir::Model m = NewModel();
  AddInput(m, "a", {2, 3, 4});
  m.graph.inputs[0].type.shape.reset();  // rank unknown to the pass
  AddConstant(m, "B", Ramp({4, 5}));
  AddConstant(m, "bias", Ramp({5}));
  AddNode(m, "MatMul", {"a", "B"}, {"p"});
  AddNode(m, "Add", {"p", "bias"}, {"y"});
  AddOutput(m, "y");
  ir::Model original = m;
  ASSERT_TRUE(*MatMulFusionPass().Run(m));
  ASSERT_EQ(m.graph.nodes.size(), 1u);
  EXPECT_EQ(m.graph.nodes[0].op_type, "FusedMatMul");
  ExpectSameResults(original, m, {{"a", Value(Ramp({2, 3, 4}))}});
}

TEST(MatMulFusion, FusesGemmBiasAndClip) {
  ir::Model m = NewModel();
  AddInput(m, "a", {3, 4});
  AddConstant(m, "B", Ramp({5, 4}));
  AddConstant(m, "bias", Ramp({1, 5}));
  AddConstant(m, "lo", Tensor::FromVector<float>({}, {-0.5f}));
  ir::Node& gemm = AddNode(m, "Gemm", {"a", "B"}, {"p"});
  SetInt(gemm, "transB", 1);
  AddNode(m, "Add", {"p", "bias"}, {"s"});
  AddNode(m, "Clip", {"s", "lo", ""}, {"y"});
  AddOutput(m, "y");
  ir::Model original = m;
  ASSERT_TRUE(*MatMulFusionPass().Run(m));
  ASSERT_EQ(m.graph.nodes.size(), 1u);
  EXPECT_EQ(m.graph.nodes[0].op_type, "FusedGemm");
  EXPECT_EQ(m.graph.nodes[0].GetString("activation", ""), "Clip");
  ExpectSameResults(original, m, {{"a", Value(Ramp({3, 4}))}});
}

TEST(MatMulFusion, SkipsBroadcastingAddsAndSharedResults) {
  ir::Model widening = NewModel();
  AddInput(widening, "a", {3, 4});
  AddConstant(widening, "B", Ramp({4, 5}));
  AddConstant(widening, "c", Ramp({2, 1, 5}));  // makes the result 3-D
  AddNode(widening, "MatMul", {"a", "B"}, {"p"});
  AddNode(widening, "Add", {"p", "c"}, {"y"});
  AddOutput(widening, "y");
  EXPECT_FALSE(*MatMulFusionPass().Run(widening));

  ir::Model shared = NewModel();
  AddInput(shared, "a", {3, 4});
  AddConstant(shared, "B", Ramp({4, 5}));
  AddNode(shared, "MatMul", {"a", "B"}, {"p"});
  AddNode(shared, "Relu", {"p"}, {"y"});
  AddNode(shared, "Sigmoid", {"p"}, {"z"});
  AddOutput(shared, "y");
  AddOutput(shared, "z");
  EXPECT_FALSE(*MatMulFusionPass().Run(shared));
}

}  // namespace
}  // namespace kiln::passes
