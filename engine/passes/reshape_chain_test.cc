#include "engine/passes/reshape_chain.h"

#include "engine/passes/pass_test_util.h"

namespace kiln::passes {
namespace {

using namespace testing;

TEST(ReshapeChain, CollapsesStaticChainIntoOneReshape) {
  ir::Model m = NewModel();
  AddInput(m, "x", {2, 3, 4});
  AddConstant(m, "axes", Tensor::FromVector<int64_t>({1}, {0}));
  AddNode(m, "Flatten", {"x"}, {"f"});
  AddNode(m, "Unsqueeze", {"f", "axes"}, {"u"});
  AddNode(m, "Relu", {"u"}, {"y"});
  DeclareFloat(m, "f", {2, 12});
  DeclareFloat(m, "u", {1, 2, 12});
  AddOutput(m, "y");
  ir::Model original = m;
  ASSERT_TRUE(*ReshapeChainPass().Run(m));
  const ir::Node& reshape = m.graph.nodes[1];
  EXPECT_EQ(reshape.op_type, "Reshape");
  EXPECT_EQ(reshape.inputs[0], "x");
  EXPECT_EQ(m.graph.initializers.at(reshape.inputs[1]).ToInt64Vector(), (std::vector<int64_t>{1, 2, 12}));
  ExpectSameResults(original, m, {{"x", Value(Ramp({2, 3, 4}))}});
}

TEST(ReshapeChain, ReadsChainInputForInputIndependentReshape) {
  ir::Model m = NewModel();
  AddInput(m, "x", {-1, 3, 4});
  AddConstant(m, "shape", Tensor::FromVector<int64_t>({2}, {-1, 4}));
  AddNode(m, "Flatten", {"x"}, {"f"});
  AddNode(m, "Reshape", {"f", "shape"}, {"y"});
  AddOutput(m, "y");
  ir::Model original = m;
  ASSERT_TRUE(*ReshapeChainPass().Run(m));
  EXPECT_EQ(m.graph.nodes[1].inputs[0], "x");
  ExpectSameResults(original, m, {{"x", Value(Ramp({2, 3, 4}))}});
}

TEST(ReshapeChain, KeepsReshapeCopyingInputDimensions) {
  ir::Model m = NewModel();
  AddInput(m, "x", {-1, 3, 4});
  AddConstant(m, "shape", Tensor::FromVector<int64_t>({2}, {0, -1}));
  AddNode(m, "Flatten", {"x"}, {"f"});
  AddNode(m, "Reshape", {"f", "shape"}, {"y"});
  AddOutput(m, "y");
  EXPECT_FALSE(*ReshapeChainPass().Run(m));
}

TEST(ReshapeChain, RemovesNoOpReshape) {
  ir::Model m = NewModel();
  AddInput(m, "x", {2, 3});
  AddConstant(m, "shape", Tensor::FromVector<int64_t>({2}, {2, 3}));
  AddNode(m, "Reshape", {"x", "shape"}, {"r"});
  AddNode(m, "Neg", {"r"}, {"y"});
  DeclareFloat(m, "r", {2, 3});
  AddOutput(m, "y");
  ASSERT_TRUE(*ReshapeChainPass().Run(m));
  ASSERT_EQ(m.graph.nodes.size(), 1u);
  EXPECT_EQ(m.graph.nodes[0].inputs[0], "x");
}

}  // namespace
}  // namespace kiln::passes
