#include "engine/passes/attention_fusion.h"

#include "engine/passes/fusion_util.h"
#include "engine/passes/pass_test_util.h"

namespace kiln::passes {
namespace {

using namespace testing;

// Deterministic values in [-2, 2) that are not a simple ramp.
Tensor Pseudo(const Shape& shape, uint32_t seed) {
  Tensor t = Tensor::Allocate(DataType::kFloat, shape);
  uint32_t s = seed * 2654435761u + 1;
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    s = s * 1664525u + 1013904223u;
    t.data<float>()[i] = static_cast<float>(s >> 8) / static_cast<float>(1 << 24) * 4.0f - 2.0f;
  }
  return t;
}

// BERT's self-attention: heads split by Reshape+Transpose (here the inputs
// are already [batch, seq, head, feature]), scaled, masked, merged back.
ir::Model BertAttention() {
  ir::Model m = NewModel();
  AddInput(m, "qr", {2, 5, 3, 4});
  AddInput(m, "kr", {2, 5, 3, 4});
  AddInput(m, "vr", {2, 5, 3, 4});
  AddInput(m, "mask", {2, 1, 1, 5});
  AddConstant(m, "sqrt_d", Scalar(2.0f));
  SetInts(AddNode(m, "Transpose", {"qr"}, {"q"}), "perm", {0, 2, 1, 3});
  SetInts(AddNode(m, "Transpose", {"vr"}, {"v"}), "perm", {0, 2, 1, 3});
  SetInts(AddNode(m, "Transpose", {"kr"}, {"kt"}), "perm", {0, 2, 3, 1});
  AddNode(m, "MatMul", {"q", "kt"}, {"s"});
  AddNode(m, "Div", {"s", "sqrt_d"}, {"s2"});
  AddNode(m, "Add", {"s2", "mask"}, {"s3"});
  SetInt(AddNode(m, "Softmax", {"s3"}, {"p"}), "axis", -1);
  AddNode(m, "MatMul", {"p", "v"}, {"o"});
  SetInts(AddNode(m, "Transpose", {"o"}, {"y"}), "perm", {0, 2, 1, 3});
  AddOutput(m, "y");
  for (const char* name : {"q", "v"}) DeclareFloat(m, name, {2, 3, 5, 4});
  DeclareFloat(m, "kt", {2, 3, 4, 5});
  return m;
}

std::map<std::string, Value> BertFeeds() {
  Tensor mask = Tensor::Allocate(DataType::kFloat, {2, 1, 1, 5});
  for (int i = 0; i < 10; ++i) mask.data<float>()[i] = i == 3 || i >= 8 ? -10000.0f : 0.0f;
  return {{"qr", Value(Pseudo({2, 5, 3, 4}, 1))},
          {"kr", Value(Pseudo({2, 5, 3, 4}, 2))},
          {"vr", Value(Pseudo({2, 5, 3, 4}, 3))},
          {"mask", Value(mask)}};
}

TEST(AttentionFusion, FusesBertSelfAttentionWithHeadTransposes) {
  ir::Model m = BertAttention();
  ir::Model original = m;
  ASSERT_TRUE(*AttentionFusionPass().Run(m));
  const ir::Node* att = FindKilnNode(m, "Attention");
  ASSERT_NE(att, nullptr);
  EXPECT_EQ(att->inputs, (std::vector<std::string>{"qr", "kr", "vr", "mask"}));
  EXPECT_EQ(att->outputs, (std::vector<std::string>{"y"}));
  EXPECT_FLOAT_EQ(att->GetFloat("scale", 0), 0.5f);
  EXPECT_EQ(att->GetInts("q_perm"), (std::vector<int64_t>{0, 2, 1, 3}));
  EXPECT_EQ(att->GetInts("k_perm"), (std::vector<int64_t>{0, 2, 1, 3}));
  EXPECT_EQ(att->GetInts("out_perm"), (std::vector<int64_t>{0, 2, 1, 3}));
  EXPECT_EQ(CountOps(m.graph, "MatMul"), 0);
  EXPECT_EQ(CountOps(m.graph, "Softmax"), 0);
  EXPECT_EQ(m.opset_imports.at(kKilnDomain), kKilnDomainVersion);
  ExpectSameResults(original, m, BertFeeds());
  EXPECT_FALSE(*AttentionFusionPass().Run(m));
}

TEST(AttentionFusion, FusesUnmaskedAttentionWithBroadcastBatch) {
  // Q [2,2,3,4] x K^T [1,2,4,6] (given transposed), scale by Mul, no mask.
  ir::Model m = NewModel();
  AddInput(m, "q", {2, 2, 3, 4});
  AddInput(m, "kt", {1, 2, 4, 6});
  AddInput(m, "v", {2, 2, 6, 5});
  AddConstant(m, "scale", Scalar(0.3f));
  AddNode(m, "MatMul", {"q", "kt"}, {"s"});
  AddNode(m, "Mul", {"scale", "s"}, {"s2"});
  SetInt(AddNode(m, "Softmax", {"s2"}, {"p"}), "axis", 3);
  AddNode(m, "MatMul", {"p", "v"}, {"y"});
  AddOutput(m, "y");
  ir::Model original = m;
  ASSERT_TRUE(*AttentionFusionPass().Run(m));
  ASSERT_EQ(m.graph.nodes.size(), 1u);
  const ir::Node* att = FindKilnNode(m, "Attention");
  ASSERT_NE(att, nullptr);
  EXPECT_EQ(att->inputs.size(), 3u);
  EXPECT_EQ(att->GetInts("k_perm"), (std::vector<int64_t>{0, 1, 3, 2}));
  ExpectSameResults(original, m,
                    {{"q", Value(Pseudo({2, 2, 3, 4}, 4))},
                     {"kt", Value(Pseudo({1, 2, 4, 6}, 5))},
                     {"v", Value(Pseudo({2, 2, 6, 5}, 6))}});
}

TEST(AttentionFusion, FusesMaskAddedFirstAndUnscaledScores) {
  ir::Model m = NewModel();
  AddInput(m, "q", {1, 2, 3, 4});
  AddInput(m, "k", {1, 2, 3, 4});
  AddInput(m, "v", {1, 2, 3, 4});
  AddInput(m, "mask", {3, 3});
  SetInts(AddNode(m, "Transpose", {"k"}, {"kt"}), "perm", {0, 1, 3, 2});
  AddNode(m, "MatMul", {"q", "kt"}, {"s"});
  AddNode(m, "Add", {"mask", "s"}, {"s3"});
  AddNode(m, "Softmax", {"s3"}, {"p"});  // opset 13: last axis by default
  AddNode(m, "MatMul", {"p", "v"}, {"y"});
  AddOutput(m, "y");
  DeclareFloat(m, "kt", {1, 2, 4, 3});
  ir::Model original = m;
  ASSERT_TRUE(*AttentionFusionPass().Run(m));
  const ir::Node* att = FindKilnNode(m, "Attention");
  ASSERT_NE(att, nullptr);
  EXPECT_EQ(att->inputs, (std::vector<std::string>{"q", "k", "v", "mask"}));
  EXPECT_FLOAT_EQ(att->GetFloat("scale", 0), 1.0f);
  Tensor mask = Pseudo({3, 3}, 9);
  mask.data<float>()[4] = -1e9f;
  ExpectSameResults(original, m,
                    {{"q", Value(Pseudo({1, 2, 3, 4}, 7))},
                     {"k", Value(Pseudo({1, 2, 3, 4}, 8))},
                     {"v", Value(Pseudo({1, 2, 3, 4}, 10))},
                     {"mask", Value(mask)}});
}

TEST(AttentionFusion, KeepsAttentionWhoseProbabilitiesAreAnOutput) {
  ir::Model m = BertAttention();
  AddOutput(m, "p");
  EXPECT_FALSE(*AttentionFusionPass().Run(m));
}

TEST(AttentionFusion, KeepsSoftmaxOverAnotherAxis) {
  ir::Model m = BertAttention();
  for (auto& n : m.graph.nodes)
    if (n.op_type == "Softmax") SetInt(n, "axis", 2);
  EXPECT_FALSE(*AttentionFusionPass().Run(m));
}

TEST(AttentionFusion, KeepsAttentionOfUnknownElementType) {
  ir::Model m = BertAttention();
  m.graph.value_types.erase("q");
  EXPECT_FALSE(*AttentionFusionPass().Run(m));
}

}  // namespace
}  // namespace kiln::passes
