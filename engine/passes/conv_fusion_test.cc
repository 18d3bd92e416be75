#include "engine/passes/conv_fusion.h"

#include "engine/passes/pass_test_util.h"

namespace kiln::passes {
namespace {

using namespace testing;

void SetFloat(ir::Node& node, const std::string& key, float value) {
  ir::Attribute a;
  a.name = key;
  a.type = ir::Attribute::Type::kFloat;
  a.f = value;
  node.attributes[key] = std::move(a);
}

// x [1,2,5,5] -> Conv(3x3, pad 1, 4 channels) -> c
ir::Model ConvModel(bool conv_bias) {
  ir::Model m = NewModel();
  AddInput(m, "x", {1, 2, 5, 5});
  AddConstant(m, "W", Ramp({4, 2, 3, 3}));
  if (conv_bias) AddConstant(m, "B", Tensor::FromVector<float>({4}, {0.5f, -0.25f, 1.0f, 0.0f}));
  ir::Node& conv = AddNode(m, "Conv", conv_bias ? std::vector<std::string>{"x", "W", "B"} : std::vector<std::string>{"x", "W"},
                           {"c"});
  SetInts(conv, "pads", {1, 1, 1, 1});
  DeclareFloat(m, "c", {1, 4, 5, 5});
  return m;
}

TEST(ConvFusion, FusesBiasResidualAndRelu) {
  for (bool conv_bias : {false, true}) {
    ir::Model m = ConvModel(conv_bias);
    AddInput(m, "r", {1, 4, 5, 5});
    AddConstant(m, "b2", Ramp({4, 1, 1}));
    AddNode(m, "Add", {"c", "b2"}, {"cb"});
    DeclareFloat(m, "cb", {1, 4, 5, 5});
    AddNode(m, "Add", {"r", "cb"}, {"s"});
    DeclareFloat(m, "s", {1, 4, 5, 5});
    AddNode(m, "Relu", {"s"}, {"y"});
    AddOutput(m, "y");
    ir::Model original = m;
    ASSERT_TRUE(*ConvFusionPass().Run(m));
    ASSERT_EQ(m.graph.nodes.size(), 1u);
    const ir::Node& fused = m.graph.nodes[0];
    EXPECT_EQ(fused.domain, "kiln");
    EXPECT_EQ(fused.op_type, "FusedConv");
    EXPECT_EQ(fused.GetString("activation", ""), "Relu");
    ASSERT_EQ(fused.inputs.size(), 4u);
    EXPECT_EQ(fused.inputs[3], "r");
    EXPECT_EQ(fused.outputs[0], "y");
    EXPECT_EQ(m.opset_imports.at("kiln"), 1);
    ExpectSameResults(original, m, {{"x", Value(Ramp({1, 2, 5, 5}))}, {"r", Value(Ramp({1, 4, 5, 5}))}});
  }
}

TEST(ConvFusion, FusesEachActivation) {
  struct Case {
    std::string op;
    std::string domain;
  };
  for (const Case& c : std::vector<Case>{{"Relu", ""}, {"LeakyRelu", ""}, {"Clip", ""}, {"Sigmoid", ""},
                                          {"HardSigmoid", ""}, {"HardSwish", ""}, {"Tanh", ""}, {"Gelu", "kiln"}}) {
    ir::Model m = ConvModel(true);
    std::vector<std::string> inputs{"c"};
    if (c.op == "Clip") {
      AddConstant(m, "lo", Tensor::FromVector<float>({}, {0.0f}));
      AddConstant(m, "hi", Tensor::FromVector<float>({}, {6.0f}));
      inputs = {"c", "lo", "hi"};
    }
    ir::Node& act = AddNode(m, c.op, inputs, {"y"});
    act.domain = c.domain;
    if (c.op == "LeakyRelu") SetFloat(act, "alpha", 0.1f);
    if (c.op == "Gelu") m.opset_imports["kiln"] = 1;
    AddOutput(m, "y");
    ir::Model original = m;
    ASSERT_TRUE(*ConvFusionPass().Run(m)) << c.op;
    ASSERT_EQ(m.graph.nodes.size(), 1u) << c.op;
    EXPECT_EQ(m.graph.nodes[0].GetString("activation", ""), c.op);
    if (c.op == "Gelu") continue;  // the Gelu kernel comes from another pass's family
    ExpectSameResults(original, m, {{"x", Value(Ramp({1, 2, 5, 5}))}});
  }
}

TEST(ConvFusion, KeepsValuesWithOtherReadersOrBroadcastingResiduals) {
  ir::Model shared = ConvModel(false);
  AddNode(shared, "Relu", {"c"}, {"y"});
  AddOutput(shared, "y");
  AddOutput(shared, "c");  // the conv output itself is a graph output
  EXPECT_FALSE(*ConvFusionPass().Run(shared));

  ir::Model broadcast = ConvModel(false);
  AddInput(broadcast, "r", {1, 4, 1, 5});  // broadcasts: Add's output is not the conv's shape
  AddNode(broadcast, "Add", {"c", "r"}, {"y"});
  AddOutput(broadcast, "y");
  EXPECT_FALSE(*ConvFusionPass().Run(broadcast));

  ir::Model after_activation = ConvModel(false);
  AddNode(after_activation, "Relu", {"c"}, {"a"});
  AddNode(after_activation, "Sigmoid", {"a"}, {"y"});
  AddOutput(after_activation, "y");
  ASSERT_TRUE(*ConvFusionPass().Run(after_activation));
  EXPECT_EQ(after_activation.graph.nodes.size(), 2u);  // one activation only
}

}  // namespace
}  // namespace kiln::passes
