#include "engine/passes/constant_folding.h"

#include "engine/passes/pass_test_util.h"

namespace kiln::passes {
namespace {

using namespace testing;

TEST(ConstantFolding, FoldsConstantChainsIntoInitializers) {
  ir::Model m = NewModel();
  AddInput(m, "x", {2, 3});
  AddConstant(m, "a", Ramp({2, 3}));
  AddConstant(m, "b", Ramp({3}));
  AddNode(m, "Add", {"a", "b"}, {"ab"});
  AddNode(m, "Relu", {"ab"}, {"relu"});
  AddNode(m, "Mul", {"x", "relu"}, {"y"});
  AddOutput(m, "y", {2, 3});
  ir::Model original = m;

  auto changed = ConstantFoldingPass().Run(m);
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  EXPECT_TRUE(*changed);
  ASSERT_EQ(m.graph.nodes.size(), 1u);
  EXPECT_EQ(m.graph.nodes[0].op_type, "Mul");
  ASSERT_TRUE(m.graph.initializers.count("relu"));
  ExpectSameResults(original, m, {{"x", Value(Ramp({2, 3}))}});
  EXPECT_FALSE(*ConstantFoldingPass().Run(m));
}

TEST(ConstantFolding, LeavesNodesNobodyReadsToDeadCodeElimination) {
  // "unused" (a DequantizeLinear of a weight a fusion no longer reads) is
  // not evaluated; a constant chain that feeds the output still folds.
  ir::Model m = NewModel();
  AddInput(m, "x", {2, 3});
  AddConstant(m, "a", Ramp({2, 3}));
  AddNode(m, "Relu", {"a"}, {"unused"});
  AddNode(m, "Neg", {"a"}, {"n"});
  AddNode(m, "Mul", {"x", "n"}, {"y"});
  AddOutput(m, "y", {2, 3});
  ASSERT_TRUE(*ConstantFoldingPass().Run(m));
  EXPECT_EQ(m.graph.initializers.count("unused"), 0u);
  EXPECT_EQ(m.graph.initializers.count("n"), 1u);
  ASSERT_EQ(m.graph.nodes.size(), 2u);
  EXPECT_EQ(m.graph.nodes[0].op_type, "Relu");
}

TEST(ConstantFolding, FoldsShapeOfStaticTensor) {
  ir::Model m = NewModel(15);
  AddInput(m, "x", {2, 3, 4});
  ir::Node& shape = AddNode(m, "Shape", {"x"}, {"s"});
  SetInt(shape, "start", 1);
  AddNode(m, "Reshape", {"x", "s"}, {"y"});
  AddOutput(m, "y");
  ASSERT_TRUE(*ConstantFoldingPass().Run(m));
  ASSERT_EQ(m.graph.nodes.size(), 1u);
  EXPECT_EQ(m.graph.initializers.at("s").ToInt64Vector(), (std::vector<int64_t>{3, 4}));
}

TEST(ConstantFolding, FoldsStaticDimensionsGatheredFromDynamicShape) {
  ir::Model m = NewModel();
  AddInput(m, "x", {-1, 3, 4});
  AddConstant(m, "static_dims", Tensor::FromVector<int64_t>({2}, {-1, 1}));
  AddConstant(m, "batch_dim", Tensor::FromVector<int64_t>({1}, {0}));
  AddNode(m, "Shape", {"x"}, {"s"});
  AddNode(m, "Gather", {"s", "static_dims"}, {"g"});
  AddNode(m, "Gather", {"s", "batch_dim"}, {"b"});
  SetInt(AddNode(m, "Concat", {"g", "b"}, {"y"}), "axis", 0);
  AddOutput(m, "y");
  ir::Model original = m;
  ASSERT_TRUE(*ConstantFoldingPass().Run(m));
  EXPECT_EQ(m.graph.initializers.at("g").ToInt64Vector(), (std::vector<int64_t>{4, 3}));
  EXPECT_EQ(m.graph.initializers.count("b"), 0u);
  EXPECT_EQ(m.graph.nodes.size(), 3u);
  ExpectSameResults(original, m, {{"x", Value(Ramp({2, 3, 4}))}});
}

TEST(ConstantFolding, LeavesDynamicShapesRandomOpsOverridableInitializersAndOutputs) {
  ir::Model m = NewModel();
  AddInput(m, "x", {-1, 3});
  AddInput(m, "w", {3});
  AddConstant(m, "w", Ramp({3}));  // an initializer callers may override
  AddConstant(m, "c", Ramp({3}));
  AddNode(m, "Shape", {"x"}, {"s"});
  AddNode(m, "Relu", {"w"}, {"rw"});
  ir::Node& random = AddNode(m, "RandomUniformLike", {"c"}, {"r"});
  SetInt(random, "seed", 1);
  AddNode(m, "Neg", {"c"}, {"out"});
  AddOutput(m, "s");
  AddOutput(m, "rw");
  AddOutput(m, "r");
  AddOutput(m, "out");
  EXPECT_FALSE(*ConstantFoldingPass().Run(m));
  EXPECT_EQ(m.graph.nodes.size(), 4u);
}

TEST(ConstantFolding, RespectsTheSizeLimit) {
  ir::Model m = NewModel();
  AddInput(m, "x", {64});
  AddConstant(m, "c", Ramp({64}));
  AddNode(m, "Neg", {"c"}, {"n"});
  AddNode(m, "Add", {"x", "n"}, {"y"});
  AddOutput(m, "y");
  EXPECT_FALSE(*ConstantFoldingPass(/*max_output_bytes=*/64).Run(m));
  EXPECT_TRUE(*ConstantFoldingPass(/*max_output_bytes=*/256).Run(m));
}

}  // namespace
}  // namespace kiln::passes
