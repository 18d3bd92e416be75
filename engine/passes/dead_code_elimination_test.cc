#include "engine/passes/dead_code_elimination.h"

#include <memory>

#include "engine/passes/pass_test_util.h"

namespace kiln::passes {
namespace {

using namespace testing;

TEST(DeadCodeElimination, RemovesUnreadNodesAndInitializers) {
  ir::Model m = NewModel();
  AddInput(m, "x", {3});
  AddConstant(m, "unused", Ramp({3}));
  AddConstant(m, "c", Ramp({3}));
  AddNode(m, "Add", {"x", "c"}, {"y"});
  AddNode(m, "Neg", {"x"}, {"dead1"});
  AddNode(m, "Exp", {"dead1"}, {"dead2"});
  AddOutput(m, "y");
  ASSERT_TRUE(*DeadCodeEliminationPass().Run(m));
  ASSERT_EQ(m.graph.nodes.size(), 1u);
  EXPECT_EQ(m.graph.nodes[0].op_type, "Add");
  EXPECT_EQ(m.graph.initializers.count("unused"), 0u);
  EXPECT_EQ(m.graph.initializer_order, (std::vector<std::string>{"c"}));
  EXPECT_FALSE(*DeadCodeEliminationPass().Run(m));
}

TEST(DeadCodeElimination, RemovesIdentityAndInferenceDropout) {
  ir::Model m = NewModel();
  AddInput(m, "x", {3});
  AddNode(m, "Identity", {"x"}, {"i"});
  AddNode(m, "Dropout", {"i"}, {"d", ""});
  AddNode(m, "Neg", {"d"}, {"n"});
  AddNode(m, "Identity", {"n"}, {"y"});  // a graph output keeps its name
  AddOutput(m, "y");
  ir::Model original = m;
  ASSERT_TRUE(*DeadCodeEliminationPass().Run(m));
  ASSERT_EQ(m.graph.nodes.size(), 1u);
  EXPECT_EQ(m.graph.nodes[0].op_type, "Neg");
  EXPECT_EQ(m.graph.nodes[0].inputs[0], "x");
  EXPECT_EQ(m.graph.nodes[0].outputs[0], "y");
  ExpectSameResults(original, m, {{"x", Value(Ramp({3}))}});
}

TEST(DeadCodeElimination, KeepsIdentityBetweenInputAndOutputAndDropoutWithMask) {
  ir::Model m = NewModel();
  AddInput(m, "x", {3});
  AddNode(m, "Identity", {"x"}, {"y"});
  AddNode(m, "Dropout", {"x"}, {"d", "mask"});
  AddOutput(m, "y");
  AddOutput(m, "d");
  AddOutput(m, "mask");
  EXPECT_FALSE(*DeadCodeEliminationPass().Run(m));
  EXPECT_EQ(m.graph.nodes.size(), 2u);
}

TEST(DeadCodeElimination, KeepsValuesReadBySubgraphs) {
  ir::Model m = NewModel();
  AddInput(m, "x", {3});
  m.graph.inputs.push_back({"cond", ir::TypeInfo::Tensor(DataType::kBool, std::vector<ir::Dim>{})});
  AddNode(m, "Neg", {"x"}, {"neg"});
  AddNode(m, "Identity", {"neg"}, {"read_inside"});
  auto branch = [](const std::string& out) {
    auto g = std::make_shared<ir::Graph>();
    g->name = out;
    ir::Node n;
    n.op_type = "Identity";
    n.inputs = {"read_inside"};
    n.outputs = {out};
    g->nodes.push_back(n);
    g->outputs.push_back({out, ir::TypeInfo{}});
    ir::Attribute a;
    a.type = ir::Attribute::Type::kGraph;
    a.g = g;
    return a;
  };
  ir::Node& if_node = AddNode(m, "If", {"cond"}, {"y"});
  if_node.attributes["then_branch"] = branch("t");
  if_node.attributes["else_branch"] = branch("e");
  AddOutput(m, "y");
  EXPECT_FALSE(*DeadCodeEliminationPass().Run(m));
  EXPECT_EQ(m.graph.nodes.size(), 3u);
}

}  // namespace
}  // namespace kiln::passes
