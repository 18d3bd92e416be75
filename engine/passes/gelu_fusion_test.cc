#include "engine/passes/gelu_fusion.h"

#include "engine/passes/fusion_util.h"
#include "engine/passes/pass_test_util.h"

namespace kiln::passes {
namespace {

using namespace testing;

// Values from -6 to 6, where both GELU forms differ visibly from x and 0.
Tensor Spread(const Shape& shape) {
  Tensor t = Tensor::Allocate(DataType::kFloat, shape);
  const int64_t n = t.num_elements();
  for (int64_t i = 0; i < n; ++i) t.data<float>()[i] = -6.0f + 12.0f * static_cast<float>(i) / static_cast<float>(n - 1);
  return t;
}

// The erf form as torch.onnx exports it.
ir::Model ErfGelu() {
  ir::Model m = NewModel();
  AddInput(m, "x", {4, 40});
  AddConstant(m, "sqrt2", Scalar(1.4142135f));
  AddConstant(m, "one", Scalar(1.0f));
  AddConstant(m, "half", Scalar(0.5f));
  AddNode(m, "Div", {"x", "sqrt2"}, {"d"});
  AddNode(m, "Erf", {"d"}, {"e"});
  AddNode(m, "Add", {"e", "one"}, {"a"});
  AddNode(m, "Mul", {"x", "a"}, {"m"});
  AddNode(m, "Mul", {"m", "half"}, {"y"});
  AddOutput(m, "y");
  return m;
}

TEST(GeluFusion, FusesErfForm) {
  ir::Model m = ErfGelu();
  ir::Model original = m;
  ASSERT_TRUE(*GeluFusionPass().Run(m));
  ASSERT_EQ(m.graph.nodes.size(), 1u);
  const ir::Node* gelu = FindKilnNode(m, "Gelu");
  ASSERT_NE(gelu, nullptr);
  EXPECT_EQ(gelu->inputs, (std::vector<std::string>{"x"}));
  EXPECT_EQ(gelu->outputs, (std::vector<std::string>{"y"}));
  EXPECT_EQ(gelu->GetString("approximate", ""), "none");
  EXPECT_EQ(m.opset_imports.at(kKilnDomain), kKilnDomainVersion);
  ExpectSameResults(original, m, {{"x", Value(Spread({4, 40}))}});
  EXPECT_FALSE(*GeluFusionPass().Run(m));
}

TEST(GeluFusion, FusesErfFormWithHalfAppliedToX) {
  ir::Model m = NewModel();
  AddInput(m, "x", {3, 17});
  AddConstant(m, "inv_sqrt2", Scalar(0.70710678f));
  AddConstant(m, "one", Scalar(1.0f));
  AddConstant(m, "half", Scalar(0.5f));
  AddNode(m, "Relu", {"x"}, {"r"});
  AddNode(m, "Mul", {"inv_sqrt2", "r"}, {"d"});
  AddNode(m, "Erf", {"d"}, {"e"});
  AddNode(m, "Add", {"one", "e"}, {"a"});
  AddNode(m, "Mul", {"half", "r"}, {"h"});
  AddNode(m, "Mul", {"a", "h"}, {"y"});
  AddOutput(m, "y");
  ir::Model original = m;
  ASSERT_TRUE(*GeluFusionPass().Run(m));
  ASSERT_EQ(m.graph.nodes.size(), 2u);
  ASSERT_NE(FindKilnNode(m, "Gelu"), nullptr);
  EXPECT_EQ(FindKilnNode(m, "Gelu")->inputs[0], "r");
  ExpectSameResults(original, m, {{"x", Value(Spread({3, 17}))}});
}

TEST(GeluFusion, FusesTanhForm) {
  // As torch.onnx exports gelu(x, approximate="tanh").
  ir::Model m = NewModel();
  AddInput(m, "x", {5, 33});
  AddConstant(m, "c", Scalar(0.044715f));
  AddConstant(m, "k", Scalar(0.7978845608f));
  AddConstant(m, "one", Scalar(1.0f));
  AddConstant(m, "half", Scalar(0.5f));
  AddNode(m, "Mul", {"x", "x"}, {"x2"});
  AddNode(m, "Mul", {"x", "x2"}, {"x3"});
  AddNode(m, "Mul", {"c", "x3"}, {"cx3"});
  AddNode(m, "Add", {"x", "cx3"}, {"inner"});
  AddNode(m, "Mul", {"k", "inner"}, {"u"});
  AddNode(m, "Tanh", {"u"}, {"t"});
  AddNode(m, "Add", {"one", "t"}, {"a"});
  AddNode(m, "Mul", {"x", "a"}, {"m"});
  AddNode(m, "Mul", {"half", "m"}, {"y"});
  AddOutput(m, "y");
  ir::Model original = m;
  ASSERT_TRUE(*GeluFusionPass().Run(m));
  ASSERT_EQ(m.graph.nodes.size(), 1u);
  ASSERT_NE(FindKilnNode(m, "Gelu"), nullptr);
  EXPECT_EQ(FindKilnNode(m, "Gelu")->GetString("approximate", ""), "tanh");
  ExpectSameResults(original, m, {{"x", Value(Spread({5, 33}))}});
}

TEST(GeluFusion, FusesTanhFormWithPow) {
  ir::Model m = NewModel();
  AddInput(m, "x", {2, 9});
  AddConstant(m, "three", Scalar(3.0f));
  AddConstant(m, "c", Scalar(0.044715f));
  AddConstant(m, "k", Scalar(0.7978845608f));
  AddConstant(m, "one", Scalar(1.0f));
  AddConstant(m, "half", Scalar(0.5f));
  AddNode(m, "Pow", {"x", "three"}, {"x3"});
  AddNode(m, "Mul", {"x3", "c"}, {"cx3"});
  AddNode(m, "Add", {"cx3", "x"}, {"inner"});
  AddNode(m, "Mul", {"inner", "k"}, {"u"});
  AddNode(m, "Tanh", {"u"}, {"t"});
  AddNode(m, "Add", {"t", "one"}, {"a"});
  AddNode(m, "Mul", {"a", "half"}, {"h"});
  AddNode(m, "Mul", {"h", "x"}, {"y"});
  AddOutput(m, "y");
  ir::Model original = m;
  ASSERT_TRUE(*GeluFusionPass().Run(m));
  ASSERT_EQ(m.graph.nodes.size(), 1u);
  ExpectSameResults(original, m, {{"x", Value(Spread({2, 9}))}});
}

TEST(GeluFusion, KeepsPatternWhoseIntermediateIsAGraphOutput) {
  ir::Model m = ErfGelu();
  AddOutput(m, "e");
  EXPECT_FALSE(*GeluFusionPass().Run(m));
  EXPECT_EQ(m.graph.nodes.size(), 5u);
}

TEST(GeluFusion, KeepsPatternWithOtherConstants) {
  ir::Model m = ErfGelu();
  m.graph.initializers["half"] = Scalar(0.25f);
  EXPECT_FALSE(*GeluFusionPass().Run(m));
  m = ErfGelu();
  m.graph.initializers["sqrt2"] = Scalar(2.0f);
  EXPECT_FALSE(*GeluFusionPass().Run(m));
}

TEST(GeluFusion, KeepsPatternWhenXIsNotTheMultiplicand) {
  ir::Model m = ErfGelu();
  AddInput(m, "z", {4, 40});
  m.graph.nodes[3].inputs = {"z", "a"};  // z * (1 + erf(x / sqrt2)) * 0.5
  EXPECT_FALSE(*GeluFusionPass().Run(m));
}

}  // namespace
}  // namespace kiln::passes
