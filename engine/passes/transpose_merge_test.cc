#include "engine/passes/transpose_merge.h"

#include "engine/passes/pass_test_util.h"

namespace kiln::passes {
namespace {

using namespace testing;

TEST(TransposeMerge, MergesTwoTransposes) {
  ir::Model m = NewModel();
  AddInput(m, "x", {2, 3, 4});
  SetInts(AddNode(m, "Transpose", {"x"}, {"t"}), "perm", {0, 2, 1});
  SetInts(AddNode(m, "Transpose", {"t"}, {"y"}), "perm", {2, 0, 1});
  AddOutput(m, "y");
  ir::Model original = m;
  ASSERT_TRUE(*TransposeMergePass().Run(m));
  const ir::Node& merged = m.graph.nodes[1];
  EXPECT_EQ(merged.inputs[0], "x");
  EXPECT_EQ(merged.GetInts("perm"), (std::vector<int64_t>{1, 0, 2}));
  ExpectSameResults(original, m, {{"x", Value(Ramp({2, 3, 4}))}});
}

TEST(TransposeMerge, RemovesTransposesThatCancel) {
  ir::Model m = NewModel();
  AddInput(m, "x", {2, 3});
  AddNode(m, "Neg", {"x"}, {"n"});
  AddNode(m, "Transpose", {"n"}, {"t"});  // default perm: reversed axes
  DeclareFloat(m, "n", {2, 3});
  SetInts(AddNode(m, "Transpose", {"t"}, {"y"}), "perm", {1, 0});
  AddOutput(m, "y");
  ir::Model original = m;
  ASSERT_TRUE(*TransposeMergePass().Run(m));
  // The first Transpose is left for dead code elimination; Neg now writes y.
  EXPECT_EQ(CountOps(m.graph, "Transpose"), 1);
  EXPECT_EQ(m.graph.nodes[0].outputs[0], "y");
  ExpectSameResults(original, m, {{"x", Value(Ramp({2, 3}))}});
}

TEST(TransposeMerge, KeepsUnknownDefaultPermutation) {
  ir::Model m = NewModel();
  AddInput(m, "x", {});
  m.graph.inputs[0].type = ir::TypeInfo::Tensor(DataType::kFloat);
  AddNode(m, "Transpose", {"x"}, {"t"});
  AddNode(m, "Transpose", {"t"}, {"y"});
  AddOutput(m, "y");
  EXPECT_FALSE(*TransposeMergePass().Run(m));
}

}  // namespace
}  // namespace kiln::passes
