// Conv and kiln::FusedConv on oneDNN against Kiln's own im2col
// convolution (ConvForward) on the same geometry, over groups, depthwise,
// strides, dilations, asymmetric pads, auto_pad and 1-3 spatial dimensions,
// single- and multi-threaded, and with concurrent runs of one session.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "engine/kernels/cpu/conv_util.h"
#include "engine/kernels/cpu/fused_activation.h"
#include "engine/passes/pass_test_util.h"

namespace kiln::cpu {
namespace {

using passes::testing::AddConstant;
using passes::testing::AddInput;
using passes::testing::AddNode;
using passes::testing::AddOutput;
using passes::testing::NewModel;
using passes::testing::SetInt;
using passes::testing::SetInts;

struct ConvCase {
  std::string label;
  Shape x, w;
  int64_t group = 1;
  std::vector<int64_t> strides, dilations, pads;
  std::string auto_pad;
};

Tensor Pseudo(const Shape& shape, int seed) {
  Tensor t = Tensor::Allocate(DataType::kFloat, shape);
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    t.data<float>()[i] = std::sin(0.37f * static_cast<float>(i + 1) + static_cast<float>(seed));
  }
  return t;
}

void SetConvAttributes(ir::Node& node, const ConvCase& c) {
  if (c.group != 1) SetInt(node, "group", c.group);
  if (!c.strides.empty()) SetInts(node, "strides", c.strides);
  if (!c.dilations.empty()) SetInts(node, "dilations", c.dilations);
  if (!c.pads.empty()) SetInts(node, "pads", c.pads);
  if (!c.auto_pad.empty()) {
    ir::Attribute a;
    a.name = "auto_pad";
    a.type = ir::Attribute::Type::kString;
    a.s = c.auto_pad;
    node.attributes["auto_pad"] = a;
  }
}

Tensor Reference(const ir::Node& node, const Tensor& x, const Tensor& w, const Tensor& b) {
  auto attrs = ConvAttributes::FromNode(node);
  EXPECT_TRUE(attrs.ok());
  auto g = ConvGeometryFor(*attrs, x.shape(), w.shape());
  EXPECT_TRUE(g.ok()) << g.status().ToString();
  Shape out{g->batch, g->out_channels};
  out.insert(out.end(), g->grid.begin(), g->grid.end());
  Tensor y = Tensor::Allocate(DataType::kFloat, out);
  ConvForward<float>(x.data<float>(), w.data<float>(), b.data<float>(), *g, y.data<float>());
  return y;
}

Tensor RunOnce(const ir::Model& model, const std::map<std::string, Value>& feeds, int threads) {
  SessionOptions options;
  options.optimize.enabled = false;
  options.threads = threads;
  auto session = Session::Create(model, options);
  EXPECT_TRUE(session.ok()) << session.status().ToString();
  auto out = (*session)->Run(feeds);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? (*out)[0].tensor() : Tensor();
}

std::vector<ConvCase> Cases() {
  return {
      {"plain 3x3", {2, 3, 7, 6}, {4, 3, 3, 3}, 1, {}, {}, {1, 1, 1, 1}, ""},
      {"strided, asymmetric pads", {1, 4, 9, 8}, {6, 4, 3, 2}, 1, {2, 3}, {}, {0, 1, 2, 0}, ""},
      {"dilated", {1, 2, 10, 10}, {3, 2, 3, 3}, 1, {}, {2, 3}, {2, 1, 2, 1}, ""},
      {"grouped", {1, 6, 8, 8}, {9, 2, 3, 3}, 3, {1, 1}, {}, {1, 1, 1, 1}, ""},
      {"depthwise", {2, 8, 9, 9}, {8, 1, 3, 3}, 8, {2, 2}, {}, {1, 1, 1, 1}, ""},
      {"depthwise multiplier 2", {1, 4, 7, 7}, {8, 1, 5, 5}, 4, {}, {}, {2, 2, 2, 2}, ""},
      {"pointwise", {1, 16, 5, 5}, {8, 16, 1, 1}, 1, {}, {}, {}, ""},
      {"SAME_UPPER", {1, 3, 7, 8}, {5, 3, 4, 3}, 1, {2, 2}, {}, {}, "SAME_UPPER"},
      {"SAME_LOWER", {1, 3, 7, 8}, {5, 3, 4, 3}, 1, {2, 1}, {}, {}, "SAME_LOWER"},
      {"1-D", {2, 3, 17}, {4, 3, 5}, 1, {2}, {1}, {2, 1}, ""},
      {"3-D", {1, 2, 5, 6, 7}, {3, 2, 3, 3, 3}, 1, {1, 2, 1}, {}, {1, 1, 1, 0, 1, 1}, ""},
  };
}

TEST(DnnlConvTest, MatchesKilnConvolution) {
  for (const ConvCase& c : Cases()) {
    for (bool constant_weights : {true, false}) {
      ir::Model m = NewModel();
      AddInput(m, "x", c.x);
      const Tensor w = Pseudo(c.w, 1);
      const Tensor b = Pseudo({c.w[0]}, 2);
      if (constant_weights) {
        AddConstant(m, "W", w);
      } else {
        AddInput(m, "W", c.w);
      }
      AddConstant(m, "B", b);
      ir::Node& conv = AddNode(m, "Conv", {"x", "W", "B"}, {"y"});
      SetConvAttributes(conv, c);
      AddOutput(m, "y");
      const Tensor x = Pseudo(c.x, 3);
      std::map<std::string, Value> feeds{{"x", Value(x)}};
      if (!constant_weights) feeds.emplace("W", Value(w));
      const Tensor expected = Reference(conv, x, w, b);
      for (int threads : {1, 2}) {
        const Tensor actual = RunOnce(m, feeds, threads);
        EXPECT_EQ(kiln::testing::CompareTensors(actual, expected, {1e-4, 1e-5}), "")
            << c.label << (constant_weights ? " (constant W)" : " (fed W)") << ", threads " << threads;
      }
    }
  }
}

TEST(DnnlConvTest, FusedConvMatchesConvPlusResidualPlusActivation) {
  const ConvCase c = Cases()[1];
  for (const std::string activation : {"Relu", "LeakyRelu", "Clip", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh"}) {
    ir::Model m = NewModel();
    m.opset_imports["kiln"] = 1;
    AddInput(m, "x", c.x);
    const Tensor w = Pseudo(c.w, 1);
    const Tensor b = Pseudo({c.w[0]}, 2);
    AddConstant(m, "W", w);
    AddConstant(m, "B", b);
    ir::Node& conv = AddNode(m, "FusedConv", {"x", "W", "B", "z"}, {"y"});
    conv.domain = "kiln";
    SetConvAttributes(conv, c);
    ir::Attribute act;
    act.name = "activation";
    act.type = ir::Attribute::Type::kString;
    act.s = activation;
    conv.attributes["activation"] = act;
    std::vector<float> params;
    if (activation == "LeakyRelu") params = {0.2f};
    if (activation == "Clip") params = {-0.5f, 0.75f};
    if (activation == "HardSigmoid") params = {0.3f, 0.4f};
    if (!params.empty()) {
      ir::Attribute p;
      p.name = "activation_params";
      p.type = ir::Attribute::Type::kFloats;
      p.floats = params;
      conv.attributes["activation_params"] = p;
    }
    const Tensor x = Pseudo(c.x, 3);
    Tensor expected = Reference(conv, x, w, b);
    AddInput(m, "z", expected.shape());
    AddOutput(m, "y");
    const Tensor z = Pseudo(expected.shape(), 4);
    for (int64_t i = 0; i < expected.num_elements(); ++i) expected.data<float>()[i] += z.data<float>()[i];
    auto fused = FusedActivation::FromNode(conv);
    ASSERT_TRUE(fused.ok()) << activation;
    fused->Apply(expected.data<float>(), expected.num_elements());
    const Tensor actual = RunOnce(m, {{"x", Value(x)}, {"z", Value(z)}}, 1);
    EXPECT_EQ(kiln::testing::CompareTensors(actual, expected, {1e-4, 1e-5}), "") << activation;
  }
}

TEST(DnnlConvTest, ConcurrentRunsOfOneSessionAgree) {
  const ConvCase c = Cases()[0];
  ir::Model m = NewModel();
  AddInput(m, "x", {-1, 3, 7, 6});  // a dynamic batch: each thread runs its own shape
  AddConstant(m, "W", Pseudo(c.w, 1));
  ir::Node& conv = AddNode(m, "Conv", {"x", "W"}, {"y"});
  SetConvAttributes(conv, c);
  AddOutput(m, "y");
  SessionOptions options;
  options.threads = 2;
  auto session = Session::Create(m, options);
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  std::vector<Tensor> inputs, expected;
  for (int64_t n = 1; n <= 4; ++n) {
    inputs.push_back(Pseudo({n, 3, 7, 6}, static_cast<int>(n)));
    expected.push_back(Reference(conv, inputs.back(), Pseudo(c.w, 1), Tensor::FromVector<float>({4}, {0, 0, 0, 0})));
  }
  std::vector<std::string> errors(inputs.size());
  std::vector<std::thread> threads;
  for (size_t t = 0; t < inputs.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int repeat = 0; repeat < 5 && errors[t].empty(); ++repeat) {
        auto out = (*session)->Run({{"x", Value(inputs[t])}});
        errors[t] = out.ok() ? kiln::testing::CompareTensors((*out)[0].tensor(), expected[t], {1e-4, 1e-5})
                             : out.status().ToString();
      }
    });
  }
  for (auto& th : threads) th.join();
  for (size_t t = 0; t < errors.size(); ++t) EXPECT_EQ(errors[t], "") << "batch " << t + 1;
}

// The constant weights are packed at session creation for the declared
// shape (a dynamic batch and image as 1) and their plain data released;
// other batch sizes and image sizes after the first run must still be exact.
TEST(DnnlConvTest, NewShapesAfterReleasingPackedWeights) {
  ir::Model m = NewModel();
  const Shape w_shape{16, 8, 3, 3};
  AddInput(m, "x", {-1, 8, -1, -1});
  AddConstant(m, "W", Pseudo(w_shape, 1));
  ir::Node& conv = AddNode(m, "Conv", {"x", "W"}, {"y"});
  ir::Attribute pads;
  pads.name = "pads";
  pads.type = ir::Attribute::Type::kInts;
  pads.ints = {1, 1, 1, 1};
  conv.attributes["pads"] = pads;
  AddOutput(m, "y");
  SessionOptions options;
  options.optimize.enabled = false;
  auto session = Session::Create(m, options);
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  // oneDNN packs convolution weights into a blocked layout on every x86 ISA it runs on.
  EXPECT_EQ((*session)->model().graph.initializers.at("W").raw_data(), nullptr);
  const Tensor zero_bias = Tensor::FromVector<float>({16}, std::vector<float>(16, 0.0f));
  for (const Shape& xs : std::vector<Shape>{{1, 8, 9, 7}, {4, 8, 12, 12}, {2, 8, 5, 31}, {1, 8, 9, 7}}) {
    const Tensor x = Pseudo(xs, 3);
    auto out = (*session)->Run({{"x", Value(x)}});
    ASSERT_TRUE(out.ok()) << ShapeToString(xs) << ": " << out.status().ToString();
    EXPECT_EQ(kiln::testing::CompareTensors((*out)[0].tensor(), Reference(conv, x, Pseudo(w_shape, 1), zero_bias),
                                            {1e-4, 1e-5}),
              "")
        << ShapeToString(xs);
  }
}

}  // namespace
}  // namespace kiln::cpu
