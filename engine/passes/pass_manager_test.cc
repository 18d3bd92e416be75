#include "engine/passes/pass_manager.h"

#include "engine/passes/pass_test_util.h"

namespace kiln::passes {
namespace {

using namespace testing;

// Constant subexpression computed twice, a dead branch and an Identity.
ir::Model Redundant() {
  ir::Model m = NewModel();
  AddInput(m, "x", {3});
  AddConstant(m, "c", Ramp({3}));
  AddNode(m, "Neg", {"c"}, {"n1"});
  AddNode(m, "Neg", {"c"}, {"n2"});
  AddNode(m, "Mul", {"x", "n1"}, {"m1"});
  AddNode(m, "Mul", {"x", "n2"}, {"m2"});
  AddNode(m, "Add", {"m1", "m2"}, {"a"});
  AddNode(m, "Exp", {"x"}, {"dead"});
  AddNode(m, "Identity", {"a"}, {"y"});
  AddOutput(m, "y");
  return m;
}

TEST(PassManager, RunsUntilNothingChanges) {
  ir::Model m = Redundant();
  ir::Model original = m;
  auto report = OptimizeModel(m, {});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(m.graph.nodes.size(), 2u);  // Mul, Add
  EXPECT_EQ(report->changed,
            (std::vector<std::string>{"constant_folding", "dead_code_elimination", "common_subexpression_elimination"}));
  EXPECT_GE(report->rounds, 2);
  ExpectSameResults(original, m, {{"x", Value(Ramp({3}))}});
}

TEST(PassManager, HonoursNoOptAndDisabledPasses) {
  ir::Model m = Redundant();
  PassOptions off;
  off.enabled = false;
  EXPECT_TRUE(OptimizeModel(m, off)->changed.empty());
  EXPECT_EQ(m.graph.nodes.size(), 7u);

  PassOptions no_folding;
  no_folding.disabled = {"constant_folding", "common_subexpression_elimination"};
  auto report = OptimizeModel(m, no_folding);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->changed, (std::vector<std::string>{"dead_code_elimination"}));
  EXPECT_EQ(m.graph.nodes.size(), 5u);  // Neg, Neg, Mul, Mul, Add
}

TEST(PassManager, RejectsUnknownPassNames) {
  PassOptions options;
  options.disabled = {"no_such_pass"};
  auto manager = PassManager::Create(options);
  ASSERT_FALSE(manager.ok());
  EXPECT_TRUE(manager.status().IsInvalidArgument());
  EXPECT_NE(manager.status().message().find("constant_folding"), std::string::npos);
}

TEST(PassManager, SessionRunsPassesByDefault) {
  auto session = Session::Create(Redundant());
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  EXPECT_EQ((*session)->model().graph.nodes.size(), 2u);
  auto out = (*session)->Run({{"x", Value(Ramp({3}))}});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)[0].tensor().shape(), (Shape{3}));
}

}  // namespace
}  // namespace kiln::passes
