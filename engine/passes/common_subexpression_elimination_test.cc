#include "engine/passes/common_subexpression_elimination.h"

#include "engine/passes/pass_test_util.h"

namespace kiln::passes {
namespace {

using namespace testing;

TEST(CommonSubexpressionElimination, MergesIdenticalNodesTransitively) {
  ir::Model m = NewModel();
  AddInput(m, "x", {2, 3});
  AddNode(m, "Relu", {"x"}, {"r1"});
  AddNode(m, "Relu", {"x"}, {"r2"});
  SetInts(AddNode(m, "Transpose", {"r1"}, {"t1"}), "perm", {1, 0});
  SetInts(AddNode(m, "Transpose", {"r2"}, {"t2"}), "perm", {1, 0});
  SetInts(AddNode(m, "Transpose", {"r2"}, {"t3"}), "perm", {0, 1});  // other attributes
  AddNode(m, "Add", {"t1", "t2"}, {"y"});
  AddNode(m, "Neg", {"t3"}, {"z"});
  AddOutput(m, "y");
  AddOutput(m, "z");
  ir::Model original = m;
  ASSERT_TRUE(*CommonSubexpressionEliminationPass().Run(m));
  EXPECT_EQ(m.graph.nodes.size(), 5u);
  EXPECT_EQ(CountOps(m.graph, "Relu"), 1);
  EXPECT_EQ(CountOps(m.graph, "Transpose"), 2);
  ExpectSameResults(original, m, {{"x", Value(Ramp({2, 3}))}});
  EXPECT_FALSE(*CommonSubexpressionEliminationPass().Run(m));
}

TEST(CommonSubexpressionElimination, KeepsGraphOutputsAndRandomOps) {
  ir::Model m = NewModel();
  AddInput(m, "x", {3});
  AddNode(m, "Neg", {"x"}, {"a"});
  AddNode(m, "Neg", {"x"}, {"b"});
  AddNode(m, "RandomUniformLike", {"x"}, {"r1"});
  AddNode(m, "RandomUniformLike", {"x"}, {"r2"});
  AddNode(m, "Add", {"r1", "r2"}, {"c"});
  AddOutput(m, "a");
  AddOutput(m, "b");
  AddOutput(m, "c");
  EXPECT_FALSE(*CommonSubexpressionEliminationPass().Run(m));
}

}  // namespace
}  // namespace kiln::passes
