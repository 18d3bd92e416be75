#include "engine/ir/verifier.h"

#include <gtest/gtest.h>

namespace kiln::ir {
namespace {

Node MakeNode(const std::string& op, std::vector<std::string> in, std::vector<std::string> out) {
  Node n;
  n.op_type = op;
  n.name = op + "_" + out[0];
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  return n;
}

TEST(Verifier, SortsNodesThatAreOutOfOrder) {
  Graph g;
  g.inputs.push_back({"x", TypeInfo::Tensor(DataType::kFloat)});
  g.nodes.push_back(MakeNode("Relu", {"a"}, {"b"}));
  g.nodes.push_back(MakeNode("Relu", {"x"}, {"a"}));
  g.outputs.push_back({"b", {}});
  auto order = TopologicalOrder(g, {});
  ASSERT_TRUE(order.ok());
  EXPECT_EQ(*order, (std::vector<size_t>{1, 0}));
  EXPECT_TRUE(VerifyGraph(g).ok());
}

TEST(Verifier, KeepsTheGraphsOrderWhereItIsValid) {
  // A ResNet-like block: the shortcut (node 2) is listed after the sum that
  // needs it (node 1); the main branch goes on in node 3.
  Graph g;
  g.inputs.push_back({"x", TypeInfo::Tensor(DataType::kFloat)});
  g.nodes.push_back(MakeNode("Relu", {"x"}, {"a"}));
  g.nodes.push_back(MakeNode("Add", {"a", "b"}, {"c"}));
  g.nodes.push_back(MakeNode("Neg", {"x"}, {"b"}));
  g.nodes.push_back(MakeNode("Sigmoid", {"a"}, {"d"}));
  g.outputs.push_back({"c", {}});
  g.outputs.push_back({"d", {}});
  auto order = TopologicalOrder(g, {});
  ASSERT_TRUE(order.ok());
  // The shortcut moves to just before the sum; the rest keeps its place
  // (breadth first would run node 3 before node 1).
  EXPECT_EQ(*order, (std::vector<size_t>{0, 2, 1, 3}));
}

TEST(Verifier, RejectsCyclesDanglingValuesAndDoubleDefinitions) {
  Graph cycle;
  cycle.nodes.push_back(MakeNode("Relu", {"b"}, {"a"}));
  cycle.nodes.push_back(MakeNode("Relu", {"a"}, {"b"}));
  auto s = VerifyGraph(cycle);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cycle"), std::string::npos);

  Graph dangling;
  dangling.nodes.push_back(MakeNode("Relu", {"nowhere"}, {"a"}));
  s = VerifyGraph(dangling);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'nowhere'"), std::string::npos);

  Graph twice;
  twice.inputs.push_back({"x", TypeInfo::Tensor(DataType::kFloat)});
  twice.nodes.push_back(MakeNode("Relu", {"x"}, {"a"}));
  twice.nodes.push_back(MakeNode("Neg", {"x"}, {"a"}));
  s = VerifyGraph(twice);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("two nodes"), std::string::npos);
}

TEST(Verifier, SubgraphsMayReadOuterScope) {
  auto body = std::make_shared<Graph>();
  body->nodes.push_back(MakeNode("Relu", {"outer"}, {"y"}));
  body->outputs.push_back({"y", {}});
  Graph g;
  g.inputs.push_back({"outer", TypeInfo::Tensor(DataType::kFloat)});
  g.inputs.push_back({"cond", TypeInfo::Tensor(DataType::kBool)});
  Node n = MakeNode("If", {"cond"}, {"z"});
  Attribute then_branch;
  then_branch.name = "then_branch";
  then_branch.type = Attribute::Type::kGraph;
  then_branch.g = body;
  n.attributes["then_branch"] = then_branch;
  g.nodes.push_back(n);
  g.outputs.push_back({"z", {}});
  EXPECT_TRUE(VerifyGraph(g).ok());
  EXPECT_EQ(OuterScopeReads(*body), (std::vector<std::string>{"outer"}));
}

}  // namespace
}  // namespace kiln::ir
