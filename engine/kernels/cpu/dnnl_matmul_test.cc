// MatMul, Gemm, kiln::FusedMatMul and kiln::FusedGemm on oneDNN against a
// naive triple loop: broadcast batches, 1-D operands, constant and fed B,
// transA/transB, alpha/beta and every broadcast form of C, bias plus
// activation (Gelu included), one and two threads.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "engine/kernels/cpu/fused_activation.h"
#include "engine/kernels/cpu/matmul_util.h"
#include "engine/passes/pass_test_util.h"

namespace kiln::cpu {
namespace {

using passes::testing::AddConstant;
using passes::testing::AddInput;
using passes::testing::AddNode;
using passes::testing::AddOutput;
using passes::testing::NewModel;
using passes::testing::SetInt;

Tensor Pseudo(const Shape& shape, int seed) {
  Tensor t = Tensor::Allocate(DataType::kFloat, shape);
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    t.data<float>()[i] = std::cos(0.61f * static_cast<float>(i + 1) + static_cast<float>(seed));
  }
  return t;
}

void SetFloat(ir::Node& node, const std::string& key, float value) {
  ir::Attribute a;
  a.name = key;
  a.type = ir::Attribute::Type::kFloat;
  a.f = value;
  node.attributes[key] = a;
}

void SetString(ir::Node& node, const std::string& key, const std::string& value) {
  ir::Attribute a;
  a.name = key;
  a.type = ir::Attribute::Type::kString;
  a.s = value;
  node.attributes[key] = a;
}

// NumPy matmul by definition, in double.
Tensor NaiveMatMul(const Tensor& a, const Tensor& b) {
  auto s = MatMulShapeFor(a.shape(), b.shape());
  EXPECT_TRUE(s.ok());
  Tensor out = Tensor::Allocate(DataType::kFloat, s->out);
  const std::vector<int64_t> as = BroadcastStrides(s->a_batch, s->batch), bs = BroadcastStrides(s->b_batch, s->batch);
  const int64_t batches = NumElements(s->batch);
  for (int64_t i = 0; i < batches; ++i) {
    int64_t rest = i, a_off = 0, b_off = 0;
    for (size_t d = s->batch.size(); d-- > 0;) {
      const int64_t idx = rest % s->batch[d];
      rest /= s->batch[d];
      a_off += idx * as[d];
      b_off += idx * bs[d];
    }
    for (int64_t r = 0; r < s->m; ++r) {
      for (int64_t c = 0; c < s->n; ++c) {
        double acc = 0;
        for (int64_t k = 0; k < s->k; ++k) {
          acc += static_cast<double>(a.data<float>()[a_off * s->m * s->k + r * s->k + k]) *
                 b.data<float>()[b_off * s->k * s->n + k * s->n + c];
        }
        out.data<float>()[(i * s->m + r) * s->n + c] = static_cast<float>(acc);
      }
    }
  }
  return out;
}

Tensor RunOnce(const ir::Model& model, const std::map<std::string, Value>& feeds, int threads) {
  SessionOptions options;
  options.optimize.enabled = false;
  options.threads = threads;
  auto session = Session::Create(model, options);
  EXPECT_TRUE(session.ok()) << session.status().ToString();
  if (!session.ok()) return Tensor();
  auto out = (*session)->Run(feeds);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? (*out)[0].tensor() : Tensor();
}

TEST(DnnlMatMulTest, MatMulMatchesNaiveProduct) {
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{2, 3, 4}, {4, 5}},  {{2, 1, 3, 4}, {3, 4, 5}}, {{4}, {2, 4, 5}},  {{3, 4}, {4}},
      {{4}, {4}},           {{1, 6, 7}, {2, 7, 3}},    {{5, 0}, {0, 3}},  {{3, 8}, {1, 8, 2}},
  };
  for (const auto& [as, bs] : cases) {
    for (bool constant_b : {true, false}) {
      ir::Model m = NewModel();
      AddInput(m, "a", as);
      const Tensor b = Pseudo(bs, 1);
      if (constant_b) {
        AddConstant(m, "b", b);
      } else {
        AddInput(m, "b", bs);
      }
      AddNode(m, "MatMul", {"a", "b"}, {"y"});
      AddOutput(m, "y");
      const Tensor a = Pseudo(as, 2);
      std::map<std::string, Value> feeds{{"a", Value(a)}};
      if (!constant_b) feeds.emplace("b", Value(b));
      for (int threads : {1, 2}) {
        EXPECT_EQ(kiln::testing::CompareTensors(RunOnce(m, feeds, threads), NaiveMatMul(a, b), {1e-4, 1e-5}), "")
            << ShapeToString(as) << " x " << ShapeToString(bs) << (constant_b ? " constant" : " fed") << ", threads "
            << threads;
      }
    }
  }
}

TEST(DnnlMatMulTest, GemmMatchesDefinition) {
  const int64_t m = 5, k = 7, n = 6;
  for (bool trans_a : {false, true}) {
    for (bool trans_b : {false, true}) {
      for (const Shape& c_shape : std::vector<Shape>{{}, {n}, {1, n}, {m, 1}, {m, n}, {1}}) {
        for (float alpha : {1.0f, 0.5f}) {
          for (float beta : {1.0f, 2.0f}) {
            ir::Model model = NewModel();
            const Shape a_shape = trans_a ? Shape{k, m} : Shape{m, k};
            const Shape b_shape = trans_b ? Shape{n, k} : Shape{k, n};
            AddInput(model, "a", a_shape);
            const Tensor b = Pseudo(b_shape, 1);
            const Tensor c = Pseudo(c_shape, 3);
            AddConstant(model, "b", b);
            AddConstant(model, "c", c);
            ir::Node& gemm = AddNode(model, "Gemm", {"a", "b", "c"}, {"y"});
            SetInt(gemm, "transA", trans_a);
            SetInt(gemm, "transB", trans_b);
            SetFloat(gemm, "alpha", alpha);
            SetFloat(gemm, "beta", beta);
            AddOutput(model, "y");
            const Tensor a = Pseudo(a_shape, 2);
            Tensor expected = Tensor::Allocate(DataType::kFloat, {m, n});
            for (int64_t i = 0; i < m; ++i) {
              for (int64_t j = 0; j < n; ++j) {
                double acc = 0;
                for (int64_t p = 0; p < k; ++p) {
                  const float av = trans_a ? a.data<float>()[p * m + i] : a.data<float>()[i * k + p];
                  const float bv = trans_b ? b.data<float>()[j * k + p] : b.data<float>()[p * n + j];
                  acc += static_cast<double>(av) * bv;
                }
                const int64_t ci = (c_shape.size() == 2 ? (c_shape[0] == 1 ? 0 : i) * c_shape[1] : 0) +
                                   (c_shape.empty() || c_shape.back() == 1 ? 0 : j);
                expected.data<float>()[i * n + j] = static_cast<float>(alpha * acc + beta * c.data<float>()[ci]);
              }
            }
            EXPECT_EQ(kiln::testing::CompareTensors(RunOnce(model, {{"a", Value(a)}}, 2), expected, {1e-4, 1e-5}),
                      "")
                << "transA " << trans_a << " transB " << trans_b << " C " << ShapeToString(c_shape) << " alpha "
                << alpha << " beta " << beta;
          }
        }
      }
    }
  }
}

TEST(DnnlMatMulTest, FusedMatMulAndGemmApplyBiasAndActivation) {
  for (const std::string activation : {"Relu", "Tanh", "Sigmoid", "HardSwish", "Gelu"}) {
    for (const std::string approximate : {"none", "tanh"}) {
      if (activation != "Gelu" && approximate == "tanh") continue;
      for (const std::string op : {"FusedMatMul", "FusedGemm"}) {
        ir::Model m = NewModel();
        m.opset_imports["kiln"] = 1;
        const Shape a_shape = op == "FusedGemm" ? Shape{6, 8} : Shape{2, 3, 8};
        AddInput(m, "a", a_shape);
        const Tensor b = Pseudo({8, 5}, 1);
        const Tensor bias = Pseudo({5}, 2);
        AddConstant(m, "b", b);
        AddConstant(m, "bias", bias);
        ir::Node& node = AddNode(m, op, {"a", "b", "bias"}, {"y"});
        node.domain = "kiln";
        SetString(node, "activation", activation);
        if (activation == "Gelu") SetString(node, "approximate", approximate);
        AddOutput(m, "y");
        const Tensor a = Pseudo(a_shape, 3);
        Tensor expected = NaiveMatMul(a, b);
        for (int64_t i = 0; i < expected.num_elements(); ++i) expected.data<float>()[i] += bias.data<float>()[i % 5];
        auto fused = FusedActivation::FromNode(node);
        ASSERT_TRUE(fused.ok());
        fused->Apply(expected.data<float>(), expected.num_elements());
        EXPECT_EQ(kiln::testing::CompareTensors(RunOnce(m, {{"a", Value(a)}}, 1), expected, {1e-4, 1e-5}), "")
            << op << " " << activation << " " << approximate;
      }
    }
  }
}

// One row times a constant B takes the packed matrix-vector path
// (packed_gemv.h) where oneDNN packs B in 64-column blocks: odd sizes (rows
// not a multiple of 16, columns not of 64; one to four blocks read side by
// side, a partial block last in its group), bias and activation, 1 and 2
// threads, Gemm with transB as PyTorch's Linear exports it, FusedGemm and
// FusedMatMul.
TEST(DnnlMatMulTest, SingleRowTimesPackedWeightsMatchesDefinition) {
  struct Size {
    int64_t k, n;
  };
  for (const Size size : {Size{37, 130}, Size{2048, 1000}, Size{784, 10}, Size{100, 200}, Size{64, 300}}) {
    for (const std::string op : {"Gemm", "FusedGemm", "FusedMatMul"}) {
      for (int threads : {1, 2}) {
        ir::Model m = NewModel();
        m.opset_imports["kiln"] = 1;
        AddInput(m, "a", {1, size.k});
        const bool trans_b = op == "Gemm";
        const Tensor b = Pseudo(trans_b ? Shape{size.n, size.k} : Shape{size.k, size.n}, 1);
        const Tensor bias = Pseudo({size.n}, 2);
        AddConstant(m, "b", b);
        AddConstant(m, "bias", bias);
        ir::Node& node = AddNode(m, op, {"a", "b", "bias"}, {"y"});
        if (trans_b) SetInt(node, "transB", 1);
        if (op != "Gemm") {
          node.domain = "kiln";
          SetString(node, "activation", "Relu");
        }
        AddOutput(m, "y");
        const Tensor a = Pseudo({1, size.k}, 3);
        Tensor expected = Tensor::Allocate(DataType::kFloat, {1, size.n});
        for (int64_t j = 0; j < size.n; ++j) {
          double acc = bias.data<float>()[j];
          for (int64_t p = 0; p < size.k; ++p) {
            acc += static_cast<double>(a.data<float>()[p]) *
                   (trans_b ? b.data<float>()[j * size.k + p] : b.data<float>()[p * size.n + j]);
          }
          expected.data<float>()[j] = op == "Gemm" ? static_cast<float>(acc) : std::max(0.0f, static_cast<float>(acc));
        }
        EXPECT_EQ(kiln::testing::CompareTensors(RunOnce(m, {{"a", Value(a)}}, threads), expected, {1e-4, 1e-4}), "")
            << op << " " << size.k << "x" << size.n << " threads " << threads;
      }
    }
  }
}

// Constant B is packed at session creation for the declared shape (unknown
// dimensions as 1) and its plain data released when oneDNN packed it into
// a layout of its own; runs with other batch sizes and ranks after the
// first must still be exact.
TEST(DnnlMatMulTest, NewShapesAfterReleasingPackedWeights) {
  for (const std::string op : {"MatMul", "Gemm"}) {
    ir::Model m = NewModel();
    const Tensor b = Pseudo({64, 48}, 1);
    AddInput(m, "a", op == "Gemm" ? Shape{-1, 64} : Shape{-1, -1, 64});
    AddConstant(m, "b", b);
    AddNode(m, op, {"a", "b"}, {"y"});
    AddOutput(m, "y");
    SessionOptions options;
    options.optimize.enabled = false;
    auto session = Session::Create(m, options);
    ASSERT_TRUE(session.ok()) << session.status().ToString();
    const Tensor& held = (*session)->model().graph.initializers.at("b");
    EXPECT_EQ(held.shape(), b.shape());
    const bool released = held.raw_data() == nullptr;
    std::vector<Shape> shapes = {{3, 64}, {17, 64}, {1, 64}};
    if (op == "MatMul") shapes = {{1, 5, 64}, {8, 128, 64}, {2, 3, 64}, {1, 5, 64}};
    for (const Shape& as : shapes) {
      const Tensor a = Pseudo(as, 2);
      auto out = (*session)->Run({{"a", Value(a)}});
      ASSERT_TRUE(out.ok()) << op << " " << ShapeToString(as) << ": " << out.status().ToString();
      EXPECT_EQ(kiln::testing::CompareTensors((*out)[0].tensor(), NaiveMatMul(a, b), {1e-4, 1e-5}), "")
          << op << " " << ShapeToString(as) << (released ? " (released)" : " (kept)");
    }
  }
}

// An initializer that another kind of node also reads, or that is a graph
// output, keeps its data.
TEST(DnnlMatMulTest, KeepsWeightsOtherNodesRead) {
  ir::Model m = NewModel();
  const Tensor b = Pseudo({16, 16}, 1);
  AddInput(m, "a", {-1, 16});
  AddConstant(m, "b", b);
  AddConstant(m, "c", Pseudo({16, 16}, 2));
  AddNode(m, "MatMul", {"a", "b"}, {"y"});
  AddNode(m, "Add", {"y", "b"}, {"z"});
  AddNode(m, "MatMul", {"a", "c"}, {"w"});
  AddOutput(m, "z");
  AddOutput(m, "w");
  AddOutput(m, "c");
  SessionOptions options;
  options.optimize.enabled = false;
  auto session = Session::Create(m, options);
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  EXPECT_NE((*session)->model().graph.initializers.at("b").raw_data(), nullptr);
  EXPECT_NE((*session)->model().graph.initializers.at("c").raw_data(), nullptr);
  const Tensor a = Pseudo({16, 16}, 3);  // [16, 16] + b: the Add needs no broadcast
  auto out = (*session)->Run({{"a", Value(a)}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(kiln::testing::CompareTensors((*out)[2].tensor(), m.graph.initializers.at("c"), {0, 0}), "");
}

}  // namespace
}  // namespace kiln::cpu
