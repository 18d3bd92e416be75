// Int8ResidualFusionPass: the Int8Add that ends a quantized residual block
// becomes the preceding Int8Conv's sum epilogue, and the result stays within
// one quantization step of the separate Int8Conv + Int8Add.
#include "engine/passes/int8_residual_fusion.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "engine/passes/fusable_activation.h"
#include "engine/passes/int8_channels_last.h"
#include "engine/passes/pass_test_util.h"
#include "engine/passes/quantized_model_test_util.h"

namespace kiln::passes {
namespace {

namespace fs = std::filesystem;
using namespace passes::testing;

float MaxAbsDiff(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  float diff = 0;
  for (int64_t i = 0; i < std::min(a.num_elements(), b.num_elements()); ++i) {
    diff = std::max(diff, std::fabs(a.data<float>()[i] - b.data<float>()[i]));
  }
  return diff;
}

float MaxAbs(const Tensor& a) {
  float m = 0;
  for (int64_t i = 0; i < a.num_elements(); ++i) m = std::max(m, std::fabs(a.data<float>()[i]));
  return m;
}

int ConvsWithResidual(const ir::Model& m) {
  int n = 0;
  for (const auto& node : m.graph.nodes) {
    if (node.domain == kKilnDomain && node.op_type == "Int8Conv" && node.inputs.size() > 9 &&
        !node.inputs[9].empty()) {
      ++n;
    }
  }
  return n;
}

TEST(Int8ResidualFusion, QuantizedResidualCnnFusesItsAddIntoTheConvolution) {
  const fs::path dir = fs::temp_directory_path() / ("kiln_int8_residual_fusion_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  kiln::testing::ModelBuilder b(13);
  ResidualCnn(b);
  for (DataType activations : {DataType::kUInt8, DataType::kInt8}) {
    const std::string path = QuantizeForTest(b, dir, activations).int8_path;
    const Tensor x = UniformInput({2, 3, 10, 10}, 11);
    for (int threads : {1, 2}) {
      // Channels-last chains (the default) and planar int8 tensors.
      for (bool channels_last : {true, false}) {
        SCOPED_TRACE(std::string(DataTypeName(activations)) + " threads " + std::to_string(threads) +
                     (channels_last ? " channels-last" : " planar"));
        std::vector<std::string> off;
        if (!channels_last) off.push_back("int8_channels_last");
        std::vector<std::string> unfused_off = off;
        unfused_off.push_back("int8_residual_fusion");
        OptimizedRun fused = RunWithPasses(path, x, off, threads);
        OptimizedRun unfused = RunWithPasses(path, x, unfused_off, threads);
        EXPECT_EQ(CountKilnOps(unfused.model, "Int8Add"), 1);
        EXPECT_EQ(CountKilnOps(fused.model, "Int8Add"), 0);
        EXPECT_EQ(CountKilnOps(fused.model, "Int8Conv"), 4);
        EXPECT_EQ(ConvsWithResidual(fused.model), 1);
        // One rounding fewer: within a quantization step of the output's range.
        const float range = MaxAbs(unfused.y);
        ASSERT_GT(range, 0.0f);
        EXPECT_LE(MaxAbsDiff(fused.y, unfused.y), 2.0f * range / 255.0f + 1e-5f);
        OptimizedRun reference = RunWithPasses(path, x, {}, threads, /*optimize=*/false);
        EXPECT_LE(MaxAbsDiff(fused.y, reference.y), 3.0f * range / 255.0f + 1e-5f);
      }
    }
  }
  fs::remove_all(dir);
}

TEST(Int8ResidualFusion, PlannedRunsWhereTheResidualBecomesTheOutputAgree) {
  // The first run records allocations; later runs follow the memory plan, in
  // which the residual's buffer may become the fused convolution's output.
  const fs::path dir = fs::temp_directory_path() / ("kiln_int8_residual_planned_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  kiln::testing::ModelBuilder b(13);
  ResidualCnn(b);
  const std::string path = QuantizeForTest(b, dir, DataType::kUInt8).int8_path;
  auto session = Session::Create(path, SessionOptions{});
  ASSERT_TRUE(session.ok()) << session.status().message();
  const Tensor x = UniformInput({2, 3, 10, 10}, 5);
  std::vector<Tensor> results;
  for (int run = 0; run < 3; ++run) {
    auto out = (*session)->Run({{"x", Value(x)}});
    ASSERT_TRUE(out.ok()) << out.status().message();
    results.push_back((*out)[0].tensor());
  }
  EXPECT_EQ(MaxAbsDiff(results[1], results[0]), 0.0f);
  EXPECT_EQ(MaxAbsDiff(results[2], results[0]), 0.0f);
  fs::remove_all(dir);
}

// IR level: xf -> QuantizeLinear -> xq -> Int8Conv -> a ;
//           rf -> QuantizeLinear -> rq ; Int8Add(a, rq) -> s -> DequantizeLinear -> y

void DeclareU8(ir::Model& m, const std::string& name, const std::vector<int64_t>& dims) {
  std::vector<ir::Dim> shape;
  for (int64_t d : dims) shape.push_back(ir::Dim{d, ""});
  m.graph.value_types[name] = ir::TypeInfo::Tensor(DataType::kUInt8, shape);
}

ir::Model ResidualBlock(const std::vector<int64_t>& residual_dims = {1, 4, 5, 5}) {
  ir::Model m = NewModel();
  ImportKilnDomain(m);
  AddInput(m, "xf", {1, 4, 5, 5});
  AddInput(m, "rf", residual_dims);
  AddConstant(m, "xs", Scalar(0.02f));
  AddConstant(m, "ys", Scalar(0.05f));
  AddConstant(m, "rs", Scalar(0.03f));
  Tensor zp = Tensor::Allocate(DataType::kUInt8, {});
  zp.data<uint8_t>()[0] = 128;
  AddConstant(m, "zp", zp);
  Tensor rzp = Tensor::Allocate(DataType::kUInt8, {});
  rzp.data<uint8_t>()[0] = 120;
  AddConstant(m, "rzp", rzp);
  Tensor w = Tensor::Allocate(DataType::kInt8, {4, 4, 1, 1});
  for (int i = 0; i < 16; ++i) w.data<int8_t>()[i] = static_cast<int8_t>((i * 37) % 41 - 20);
  AddConstant(m, "w", w);
  AddConstant(m, "wscale", Tensor::FromVector<float>({4}, {0.01f, 0.02f, 0.015f, 0.03f}));
  AddNode(m, "QuantizeLinear", {"xf", "xs", "zp"}, {"xq"});
  AddNode(m, "QuantizeLinear", {"rf", "rs", "rzp"}, {"rq"});
  ir::Node& conv = AddNode(m, "Int8Conv", {"xq", "xs", "zp", "w", "wscale", "", "ys", "zp"}, {"a"});
  conv.domain = kKilnDomain;
  ir::Node& add = AddNode(m, "Int8Add", {"a", "ys", "zp", "rq", "rs", "rzp", "ys", "zp"}, {"s"});
  add.domain = kKilnDomain;
  AddNode(m, "DequantizeLinear", {"s", "ys", "zp"}, {"y"});
  AddOutput(m, "y");
  DeclareU8(m, "xq", {1, 4, 5, 5});
  DeclareU8(m, "rq", residual_dims);
  DeclareU8(m, "a", {1, 4, 5, 5});
  DeclareU8(m, "s", {1, 4, 5, 5});
  return m;
}

std::map<std::string, Value> Feeds() {
  return {{"xf", Value(UniformInput({1, 4, 5, 5}, 3))}, {"rf", Value(UniformInput({1, 4, 5, 5}, 4))}};
}

void ExpectWithinOneStep(const ir::Model& original, const ir::Model& fused, float step) {
  std::vector<Value> expected = RunModel(original, Feeds());
  std::vector<Value> actual = RunModel(fused, Feeds());
  ASSERT_EQ(expected.size(), actual.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_LE(MaxAbsDiff(actual[i].tensor(), expected[i].tensor()), step + 1e-6f) << "output " << i;
  }
}

TEST(Int8ResidualFusionPass, FusesTheAddAndKeepsItsActivation) {
  for (bool relu : {false, true}) {
    ir::Model m = ResidualBlock();
    if (relu) SetActivation(m.graph.nodes[3], FusableActivation{"Relu", {}, ""});
    const ir::Model original = m;
    ASSERT_TRUE(*Int8ResidualFusionPass().Run(m));
    ASSERT_EQ(m.graph.nodes.size(), 4u);
    const ir::Node& fused = m.graph.nodes[2];
    EXPECT_EQ(fused.op_type, "Int8Conv");
    ASSERT_EQ(fused.inputs.size(), 12u);
    EXPECT_EQ(fused.inputs[9], "rq");
    EXPECT_EQ(fused.inputs[10], "rs");
    EXPECT_EQ(fused.inputs[11], "rzp");
    EXPECT_EQ(fused.outputs[0], "s");
    EXPECT_EQ(fused.GetString("activation", ""), relu ? "Relu" : "");
    EXPECT_FALSE(*Int8ResidualFusionPass().Run(m));  // idempotent
    ExpectWithinOneStep(original, m, 0.05f);
  }
}

TEST(Int8ResidualFusionPass, CopiesAResidualThatIsStillReadAfterwards) {
  // rq is also dequantized after the sum: its buffer cannot become the output's.
  ir::Model m = ResidualBlock();
  AddNode(m, "DequantizeLinear", {"rq", "rs", "rzp"}, {"r_again"});
  AddOutput(m, "r_again");
  const ir::Model original = m;
  ASSERT_TRUE(*Int8ResidualFusionPass().Run(m));
  ExpectWithinOneStep(original, m, 0.05f);
}

TEST(Int8ResidualFusionPass, WorksOnChannelsLastChains) {
  ir::Model m = ResidualBlock();
  ASSERT_TRUE(*Int8ChannelsLastPass().Run(m));
  const ir::Model chained = m;
  ASSERT_TRUE(*Int8ResidualFusionPass().Run(m));
  const ir::Node* fused = FindKilnNode(m, "Int8Conv");
  ASSERT_NE(fused, nullptr);
  EXPECT_EQ(fused->GetInt("y_channels_last", 0), 1);
  EXPECT_EQ(fused->inputs.size(), 12u);
  EXPECT_FALSE(*Int8ChannelsLastPass().Run(m));  // the fused convolution's output keeps its layout
  ExpectWithinOneStep(chained, m, 0.05f);
}

TEST(Int8ResidualFusionPass, FusedConvolutionRefusesABadResidual) {
  ir::Model fused = ResidualBlock();
  ASSERT_TRUE(*Int8ResidualFusionPass().Run(fused));
  const size_t conv = 2;
  ASSERT_EQ(fused.graph.nodes[conv].op_type, "Int8Conv");
  {  // a residual of another shape at run time
    ir::Model m = fused;
    m.graph.inputs[1].type = FloatType({-1, -1, -1, -1});
    auto session = Session::Create(m, [] { SessionOptions o; o.optimize.enabled = false; return o; }());
    ASSERT_TRUE(session.ok()) << session.status().message();
    auto out = (*session)->Run({{"xf", Value(UniformInput({1, 4, 5, 5}, 3))}, {"rf", Value(UniformInput({1, 4, 1, 1}, 4))}});
    ASSERT_FALSE(out.ok());
    EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(out.status().message().find("the residual must be uint8 [1,4,5,5], got uint8 [1,4,1,1]"), std::string::npos)
        << out.status().message();
  }
  auto create_error = [](const ir::Model& m) {
    SessionOptions o;
    o.optimize.enabled = false;
    auto session = Session::Create(m, o);
    return session.ok() ? std::string() : session.status().message();
  };
  {  // a residual needs a quantized output
    ir::Model m = fused;
    m.graph.nodes[conv].inputs[6] = "";
    m.graph.nodes[conv].inputs[7] = "";
    EXPECT_NE(create_error(m).find("a residual needs a quantized output"), std::string::npos) << create_error(m);
  }
  {  // and the output's type
    ir::Model m = fused;
    Tensor zp = Tensor::Allocate(DataType::kInt8, {});
    zp.data<int8_t>()[0] = 0;
    AddConstant(m, "izp", zp);
    m.graph.nodes[conv].inputs[11] = "izp";
    EXPECT_NE(create_error(m).find("the residual must have the output's type"), std::string::npos)
        << create_error(m);
  }
}

TEST(Int8ResidualFusionPass, LeavesOtherPatternsAlone) {
  {  // the convolution has its own activation
    ir::Model m = ResidualBlock();
    SetActivation(m.graph.nodes[2], FusableActivation{"Relu", {}, ""});
    EXPECT_FALSE(*Int8ResidualFusionPass().Run(m));
  }
  {  // the convolution's result is read again
    ir::Model m = ResidualBlock();
    AddNode(m, "DequantizeLinear", {"a", "ys", "zp"}, {"a_again"});
    AddOutput(m, "a_again");
    EXPECT_FALSE(*Int8ResidualFusionPass().Run(m));
  }
  {  // broadcasting addend
    ir::Model m = ResidualBlock({1, 4, 1, 1});
    EXPECT_FALSE(*Int8ResidualFusionPass().Run(m));
  }
  {  // layouts differ
    ir::Model m = ResidualBlock();
    SetInt(m.graph.nodes[2], "y_channels_last", 1);
    EXPECT_FALSE(*Int8ResidualFusionPass().Run(m));
  }
  {  // unknown shapes
    ir::Model m = ResidualBlock();
    m.graph.value_types.erase("rq");
    EXPECT_FALSE(*Int8ResidualFusionPass().Run(m));
  }
}

}  // namespace
}  // namespace kiln::passes
