// QdqFusionPass and the int8 kernels it targets: QDQ models written by the
// quantizer are run fused (kiln::Int8Conv / Int8MatMul on oneDNN) and
// unfused (QuantizeLinear/DequantizeLinear around float operators, the
// reference semantics); results must agree within a quantization step, and
// both must stay close to the float model.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "engine/onnx/model_loader.h"
#include "engine/passes/quantized_model_test_util.h"
#include "engine/runtime/session.h"
#include "tests/support/model_builder.h"

namespace kiln::passes {
namespace {

namespace fs = std::filesystem;

std::vector<float> Normal(size_t n, float scale, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

onnx::AttributeProto* Attr(onnx::ModelProto& m, int node, const std::string& name) {
  auto* a = m.mutable_graph()->mutable_node(node)->add_attribute();
  a->set_name(name);
  return a;
}
void SetInts(onnx::ModelProto& m, int node, const std::string& name, std::vector<int64_t> v) {
  auto* a = Attr(m, node, name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}
void SetInt(onnx::ModelProto& m, int node, const std::string& name, int64_t v) {
  auto* a = Attr(m, node, name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

struct Outputs {
  Tensor float_model, qdq_reference, fused;
  std::map<std::string, int> fused_ops;  // op histogram of the optimized quantized model
};

class QdqFusion : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("kiln_qdq_fusion_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Quantizes `b` (random calibration) and runs float, unfused and fused on `input`.
  Outputs Run(kiln::testing::ModelBuilder& b, const Tensor& input, bool per_channel, DataType activations,
              bool dynamic = false) {
    const testing::QuantizedModelPaths paths =
        testing::QuantizeForTest(b, dir_, activations, per_channel, dynamic);
    Outputs out;
    SessionOptions plain;
    plain.optimize.enabled = false;
    plain.threads = 1;
    SessionOptions optimized;
    optimized.threads = 2;
    std::map<std::string, Value> feeds{{"x", input}};
    auto run = [&](const std::string& path, const SessionOptions& options, Tensor& result, bool histogram) {
      auto session = Session::Create(path, options);
      ASSERT_TRUE(session.ok()) << session.status().message();
      auto outputs = (*session)->Run(feeds);
      ASSERT_TRUE(outputs.ok()) << outputs.status().message();
      result = (*outputs)[0].tensor();
      if (histogram) {
        for (const auto& node : (*session)->model().graph.nodes) ++out.fused_ops[node.domain + "::" + node.op_type];
      }
    };
    run(paths.float_path, plain, out.float_model, false);
    run(paths.int8_path, plain, out.qdq_reference, false);
    run(paths.int8_path, optimized, out.fused, true);
    return out;
  }

  fs::path dir_;
};

double MaxAbs(const Tensor& t) {
  double m = 0;
  for (int64_t i = 0; i < t.num_elements(); ++i) m = std::max(m, std::fabs(static_cast<double>(t.data<float>()[i])));
  return m;
}

double MaxDiff(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  double m = 0;
  for (int64_t i = 0; i < a.num_elements(); ++i) {
    m = std::max(m, std::fabs(static_cast<double>(a.data<float>()[i]) - b.data<float>()[i]));
  }
  return m;
}

// Fused vs unfused: integer and float accumulation may round an
// intermediate value to the neighbouring quantization level, so allow a few
// steps of the output range (1/255 each); both stay near the float model.
void ExpectQuantizationClose(const Outputs& o, double float_tolerance) {
  const double range = MaxAbs(o.float_model);
  EXPECT_LE(MaxDiff(o.fused, o.qdq_reference), 3.0 * range / 255.0 + 1e-5);
  EXPECT_LE(MaxDiff(o.fused, o.float_model), float_tolerance * range);
}

// Like the random calibration data: uniform in [-1, 1).
Tensor Input(Shape shape, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(NumElements(shape)));
  for (float& x : v) x = uniform(rng);
  return Tensor::FromVector<float>(shape, v);
}

TEST_F(QdqFusion, PaddedConvReluChainRequantizesBetweenInt8Convs) {
  // Signed input (non-zero zero point) through padded convolutions: padding
  // must count as real 0, i.e. the zero point, in the integer kernel.
  kiln::testing::ModelBuilder b(13);
  b.Input("x", DataType::kFloat, {1, 3, 9, 9}).Output("y", DataType::kFloat, {1, 8, 9, 9});
  b.Initializer("w1", Normal(16 * 3 * 9, 0.3f, 1), {16, 3, 3, 3}).Initializer("b1", Normal(16, 0.2f, 2), {16});
  b.Initializer("w2", Normal(8 * 16 * 9, 0.2f, 3), {8, 16, 3, 3}).Initializer("b2", Normal(8, 0.2f, 4), {8});
  b.Node("Conv", {"x", "w1", "b1"}, {"c1"}).Node("Relu", {"c1"}, {"r1"}).Node("Conv", {"r1", "w2", "b2"}, {"y"});
  SetInts(b.proto(), 0, "pads", {1, 1, 1, 1});
  SetInts(b.proto(), 2, "pads", {1, 1, 1, 1});
  for (bool per_channel : {true, false}) {
    Outputs o = Run(b, Input({1, 3, 9, 9}, 7), per_channel, DataType::kUInt8);
    EXPECT_EQ(o.fused_ops["kiln::Int8Conv"], 2) << "per_channel " << per_channel;
    EXPECT_EQ(o.fused_ops["::Conv"], 0);
    EXPECT_EQ(o.fused_ops["::Relu"], 0);
    ExpectQuantizationClose(o, 0.06);
  }
}

TEST_F(QdqFusion, ResidualAddStaysInt8) {
  // r1 = Relu(Conv1(x)); s = Relu(Conv2(r1) + r1); y = Conv3(s)
  kiln::testing::ModelBuilder b(13);
  b.Input("x", DataType::kFloat, {1, 4, 6, 6}).Output("y", DataType::kFloat, {1, 4, 6, 6});
  for (int i = 1; i <= 3; ++i) {
    b.Initializer("w" + std::to_string(i), Normal(4 * 4 * 9, 0.25f, 20 + i), {4, 4, 3, 3});
  }
  b.Node("Conv", {"x", "w1"}, {"c1"}).Node("Relu", {"c1"}, {"r1"}).Node("Conv", {"r1", "w2"}, {"c2"});
  b.Node("Add", {"c2", "r1"}, {"sum"}).Node("Relu", {"sum"}, {"s"}).Node("Conv", {"s", "w3"}, {"y"});
  for (int node : {0, 2, 5}) SetInts(b.proto(), node, "pads", {1, 1, 1, 1});
  Outputs o = Run(b, Input({1, 4, 6, 6}, 30), true, DataType::kUInt8);
  // qdq_fusion makes the sum a kiln::Int8Add; int8_residual_fusion then
  // takes it into Conv2 as its residual epilogue.
  EXPECT_EQ(o.fused_ops["kiln::Int8Add"], 0);
  EXPECT_EQ(o.fused_ops["kiln::Int8Conv"], 3);
  EXPECT_EQ(o.fused_ops["::Add"], 0);
  EXPECT_EQ(o.fused_ops["::Relu"], 0);
  ExpectQuantizationClose(o, 0.06);
}

TEST_F(QdqFusion, ClipIsFusedAsBoundedActivation) {
  // Conv -> Clip(0, 0.4) (ReLU6-like, a bound the data reaches) -> Conv
  kiln::testing::ModelBuilder b(13);
  b.Input("x", DataType::kFloat, {1, 3, 5, 5}).Output("y", DataType::kFloat, {1, 4, 5, 5});
  b.Initializer("w1", Normal(6 * 3 * 9, 0.3f, 40), {6, 3, 3, 3}).Initializer("w2", Normal(4 * 6, 0.3f, 41), {4, 6, 1, 1});
  b.Initializer("lo", {0.0f}, {}).Initializer("hi", {0.4f}, {});
  b.Node("Conv", {"x", "w1"}, {"c"}).Node("Clip", {"c", "lo", "hi"}, {"k"}).Node("Conv", {"k", "w2"}, {"y"});
  SetInts(b.proto(), 0, "pads", {1, 1, 1, 1});
  Outputs o = Run(b, Input({1, 3, 5, 5}, 42), true, DataType::kUInt8);
  EXPECT_EQ(o.fused_ops["kiln::Int8Conv"], 2);
  EXPECT_EQ(o.fused_ops["::Clip"], 0);
  ExpectQuantizationClose(o, 0.06);
}

TEST_F(QdqFusion, StridedDepthwiseAndGroupedConvWithInt8Activations) {
  kiln::testing::ModelBuilder b(13);
  b.Input("x", DataType::kFloat, {2, 8, 10, 10}).Output("y", DataType::kFloat, {2, 8, 5, 5});
  b.Initializer("dw", Normal(8 * 9, 0.4f, 5), {8, 1, 3, 3});
  b.Initializer("gw", Normal(8 * 4 * 1, 0.4f, 6), {8, 4, 1, 1});
  b.Node("Conv", {"x", "dw"}, {"d"}).Node("Relu", {"d"}, {"r"}).Node("Conv", {"r", "gw"}, {"y"});
  SetInt(b.proto(), 0, "group", 8);
  SetInts(b.proto(), 0, "strides", {2, 2});
  SetInts(b.proto(), 0, "pads", {1, 1, 0, 0});
  SetInt(b.proto(), 2, "group", 2);
  Outputs o = Run(b, Input({2, 8, 10, 10}, 8), true, DataType::kInt8);
  EXPECT_EQ(o.fused_ops["kiln::Int8Conv"], 2);
  ExpectQuantizationClose(o, 0.06);
}

TEST_F(QdqFusion, MatMulOnRank3ActivationsAndGemmWithFloatOutput) {
  // x[2,5,16] @ W[16,12] -> Relu -> Reshape [10,12] -> Gemm(transB, bias) -> y[10,6] (float graph output)
  kiln::testing::ModelBuilder b(13);
  b.Input("x", DataType::kFloat, {2, 5, 16}).Output("y", DataType::kFloat, {10, 6});
  b.Initializer("w", Normal(16 * 12, 0.3f, 9), {16, 12});
  b.Initializer("g", Normal(6 * 12, 0.3f, 10), {6, 12}).Initializer("gb", Normal(6, 0.1f, 11), {6});
  b.Initializer("shape", {10, 12}, {2});
  b.proto().mutable_graph()->mutable_initializer(3)->set_data_type(onnx::TensorProto::INT64);
  b.proto().mutable_graph()->mutable_initializer(3)->clear_float_data();
  b.proto().mutable_graph()->mutable_initializer(3)->add_int64_data(10);
  b.proto().mutable_graph()->mutable_initializer(3)->add_int64_data(12);
  b.Node("MatMul", {"x", "w"}, {"m"}).Node("Relu", {"m"}, {"r"}).Node("Reshape", {"r", "shape"}, {"f"});
  b.Node("Gemm", {"f", "g", "gb"}, {"y"});
  SetInt(b.proto(), 3, "transB", 1);
  for (DataType activations : {DataType::kUInt8, DataType::kInt8}) {
    Outputs o = Run(b, Input({2, 5, 16}, 12), true, activations);
    EXPECT_EQ(o.fused_ops["kiln::Int8MatMul"], 2);
    EXPECT_EQ(o.fused_ops["::Gemm"], 0);
    EXPECT_EQ(o.fused_ops["::MatMul"], 0);
    ExpectQuantizationClose(o, 0.06);
  }
}

TEST_F(QdqFusion, FloatBiasAndGeluJoinAnInt8MatMulWithFloatOutput) {
  // A transformer feed-forward projection: x @ W -> + bias -> GELU (erf
  // form) -> y. The quantizer leaves the bias Add float, so matmul_fusion
  // puts bias and GELU into the Int8MatMul as float post-ops.
  kiln::testing::ModelBuilder b(13);
  b.Input("x", DataType::kFloat, {2, 6, 16}).Output("y", DataType::kFloat, {2, 6, 24});
  b.Initializer("w", Normal(16 * 24, 0.3f, 50), {16, 24}).Initializer("bias", Normal(24, 0.2f, 51), {24});
  b.Initializer("sqrt2", {1.4142135f}, {}).Initializer("one", {1.0f}, {}).Initializer("half", {0.5f}, {});
  b.Node("MatMul", {"x", "w"}, {"m"}).Node("Add", {"m", "bias"}, {"h"});
  b.Node("Div", {"h", "sqrt2"}, {"d"}).Node("Erf", {"d"}, {"e"}).Node("Add", {"e", "one"}, {"e1"});
  b.Node("Mul", {"h", "e1"}, {"p"}).Node("Mul", {"p", "half"}, {"y"});
  Outputs o = Run(b, Input({2, 6, 16}, 52), true, DataType::kUInt8);
  EXPECT_EQ(o.fused_ops["kiln::Int8MatMul"], 1);
  EXPECT_EQ(o.fused_ops["::Add"], 0);
  EXPECT_EQ(o.fused_ops["kiln::Gelu"], 0);
  EXPECT_EQ(o.fused_ops["::Erf"], 0);
  ExpectQuantizationClose(o, 0.06);
}

TEST_F(QdqFusion, DynamicQuantizationRunsAsOneInt8MatMul) {
  // `kiln quantize --dynamic` writes DynamicQuantizeLinear -> MatMulInteger
  // -> Cast -> Mul(scale) per MatMul; dynamic_quant_fusion (plus
  // matmul_fusion for the bias and Relu) makes each one Int8MatMul that
  // quantizes its float input itself.
  kiln::testing::ModelBuilder b(13);
  b.Input("x", DataType::kFloat, {3, 7, 32}).Output("y", DataType::kFloat, {3, 7, 8});
  b.Initializer("w1", Normal(32 * 16, 0.3f, 60), {32, 16}).Initializer("b1", Normal(16, 0.2f, 61), {16});
  b.Initializer("w2", Normal(16 * 8, 0.3f, 62), {16, 8});
  b.Node("MatMul", {"x", "w1"}, {"m"}).Node("Add", {"m", "b1"}, {"h"}).Node("Relu", {"h"}, {"r"});
  b.Node("MatMul", {"r", "w2"}, {"y"});
  for (bool per_channel : {true, false}) {
    Outputs o = Run(b, Input({3, 7, 32}, 63), per_channel, DataType::kUInt8, /*dynamic=*/true);
    EXPECT_EQ(o.fused_ops["kiln::Int8MatMul"], 2) << "per_channel " << per_channel;
    for (const char* op : {"::DynamicQuantizeLinear", "::MatMulInteger", "::Cast", "::Mul", "::Add", "::Relu"}) {
      EXPECT_EQ(o.fused_ops[op], 0) << op;
    }
    ExpectQuantizationClose(o, 0.06);
  }
}

TEST_F(QdqFusion, LeavesPatternsItCannotRunAlone) {
  // Weights with a non-zero zero point are not symmetric: oneDNN cannot take
  // them, so the QDQ form stays (and still runs).
  kiln::testing::ModelBuilder b(13);
  b.Input("x", DataType::kFloat, {2, 4}).Output("y", DataType::kFloat, {2, 3});
  b.Initializer("xs", {0.05f}, {}).Initializer("ws", {0.01f}, {});
  auto* xzp = b.proto().mutable_graph()->add_initializer();
  xzp->set_name("xzp");
  xzp->set_data_type(onnx::TensorProto::UINT8);
  xzp->add_int32_data(128);
  auto* wq = b.proto().mutable_graph()->add_initializer();
  wq->set_name("wq");
  wq->set_data_type(onnx::TensorProto::INT8);
  wq->add_dims(4);
  wq->add_dims(3);
  for (int i = 0; i < 12; ++i) wq->add_int32_data(i * 9 - 50);
  auto* wzp = b.proto().mutable_graph()->add_initializer();
  wzp->set_name("wzp");
  wzp->set_data_type(onnx::TensorProto::INT8);
  wzp->add_int32_data(3);
  b.Node("QuantizeLinear", {"x", "xs", "xzp"}, {"xq"}).Node("DequantizeLinear", {"xq", "xs", "xzp"}, {"xd"});
  b.Node("DequantizeLinear", {"wq", "ws", "wzp"}, {"wd"}).Node("MatMul", {"xd", "wd"}, {"y"});
  auto model = onnx_import::LoadModelBytes(b.Serialize(), "");
  ASSERT_TRUE(model.ok()) << model.status().message();
  auto session = Session::Create(std::move(model).value());
  ASSERT_TRUE(session.ok()) << session.status().message();
  int matmuls = 0;
  for (const auto& node : (*session)->model().graph.nodes) matmuls += node.op_type == "MatMul";
  EXPECT_EQ(matmuls, 1);
  auto out = (*session)->Run({{"x", Input({2, 4}, 3)}});
  ASSERT_TRUE(out.ok()) << out.status().message();
}

}  // namespace
}  // namespace kiln::passes
