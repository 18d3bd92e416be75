// Post-training quantization: parameter arithmetic, range methods, and the
// quantize -> run round trip (static QDQ and dynamic) on small models.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "engine/onnx/model_loader.h"
#include "engine/quantization/quant_params.h"
#include "engine/quantization/quantizer.h"
#include "engine/quantization/range_methods.h"
#include "engine/runtime/session.h"
#include "tests/support/model_builder.h"

namespace kiln::quantization {
namespace {

namespace fs = std::filesystem;

std::vector<float> RandomValues(size_t n, float scale, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  return v;
}

void SetIntAttr(onnx::NodeProto* node, const std::string& name, int64_t value) {
  auto* a = node->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(value);
}

// x[1,3,8,8] -> Conv(4, 3x3, pad 1) -> Relu -> Conv(6, 1x1) -> Relu -> GlobalAveragePool
//   -> Flatten -> Gemm(6 -> 5, transB) -> y[1,5]
testing::ModelBuilder SmallCnn() {
  testing::ModelBuilder b(13);
  b.Input("x", DataType::kFloat, {1, 3, 8, 8}).Output("y", DataType::kFloat, {1, 5});
  b.Initializer("w1", RandomValues(4 * 3 * 9, 0.3f, 1), {4, 3, 3, 3});
  b.Initializer("b1", RandomValues(4, 0.1f, 2), {4});
  b.Initializer("w2", RandomValues(6 * 4, 0.4f, 3), {6, 4, 1, 1});
  b.Initializer("w3", RandomValues(5 * 6, 0.5f, 4), {5, 6});
  b.Initializer("b3", RandomValues(5, 0.1f, 5), {5});
  b.Node("Conv", {"x", "w1", "b1"}, {"c1"});
  SetIntAttr(b.proto().mutable_graph()->mutable_node(0), "group", 1);
  auto* pads = b.proto().mutable_graph()->mutable_node(0)->add_attribute();
  pads->set_name("pads");
  pads->set_type(onnx::AttributeProto::INTS);
  for (int i = 0; i < 4; ++i) pads->add_ints(1);
  b.Node("Relu", {"c1"}, {"r1"});
  b.Node("Conv", {"r1", "w2"}, {"c2"});
  b.Node("Relu", {"c2"}, {"r2"});
  b.Node("GlobalAveragePool", {"r2"}, {"p"});
  b.Node("Flatten", {"p"}, {"f"});
  b.Node("Gemm", {"f", "w3", "b3"}, {"y"});
  SetIntAttr(b.proto().mutable_graph()->mutable_node(6), "transB", 1);
  return b;
}

class QuantizeRoundTrip : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("kiln_quant_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  int CountOps(const std::string& path, const std::string& op) {
    auto model = onnx_import::LoadModelFile(path);
    EXPECT_TRUE(model.ok()) << model.status().message();
    int n = 0;
    for (const auto& node : model->graph.nodes) n += node.op_type == op;
    return n;
  }

  fs::path dir_;
};

TEST(QuantParams, ActivationCoversRangeAndZero) {
  ActivationParams u = ActivationParamsFor(0.0f, 6.0f, DataType::kUInt8);
  EXPECT_EQ(u.zero_point, 0);
  EXPECT_NEAR(u.scale, 6.0f / 255.0f, 1e-7);
  ActivationParams a = ActivationParamsFor(-1.0f, 3.0f, DataType::kUInt8);
  EXPECT_NEAR(a.scale, 4.0f / 255.0f, 1e-7);
  EXPECT_EQ(a.zero_point, 64);  // round(1 / (4/255))
  ActivationParams s = ActivationParamsFor(-2.0f, 2.0f, DataType::kInt8);
  EXPECT_NEAR(0.0f, (static_cast<float>(0 - s.zero_point)) * s.scale, s.scale);  // 0 is representable
  ActivationParams empty = ActivationParamsFor(0.0f, 0.0f, DataType::kUInt8);
  EXPECT_EQ(empty.scale, 1.0f);
}

TEST(QuantParams, PerChannelWeightsUseTheirOwnScale) {
  // 2 output channels x 3: channel 1 is 10x larger; channel 0 must keep precision.
  Tensor w = Tensor::FromVector<float>({2, 3}, {0.1f, -0.05f, 0.02f, 1.0f, -0.5f, 0.2f});
  auto q = QuantizeWeight(w, 0);
  ASSERT_TRUE(q.ok());
  ASSERT_EQ(q->scales.size(), 2u);
  EXPECT_NEAR(q->scales[0], 0.1f / 127, 1e-9);
  EXPECT_NEAR(q->scales[1], 1.0f / 127, 1e-9);
  EXPECT_EQ(q->values.data<int8_t>()[0], 127);
  EXPECT_EQ(q->values.data<int8_t>()[3], 127);
  EXPECT_EQ(q->values.data<int8_t>()[1], -64);  // -0.05 / (0.1/127) = -63.5 -> -64 (ties to even)
  auto t = QuantizeWeight(w, -1);
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->scales.size(), 1u);
  EXPECT_EQ(t->values.data<int8_t>()[2], 3);  // 0.02 / (1/127) = 2.54
  // Axis 1 (MatMul weights: K x N, per column).
  auto c = QuantizeWeight(w, 1);
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->scales.size(), 3u);
  EXPECT_NEAR(c->scales[2], 0.2f / 127, 1e-9);
}

TEST(QuantParams, BiasUsesInputTimesWeightScale) {
  Tensor b = Tensor::FromVector<float>({2}, {0.5f, -0.25f});
  auto q = QuantizeBias(b, 0.01f, {0.1f, 0.05f});
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->data<int32_t>()[0], 500);
  EXPECT_EQ(q->data<int32_t>()[1], -500);
}

TEST(RangeMethods, PercentileAndEntropyClipOutliers) {
  std::vector<float> values = RandomValues(100000, 1.0f, 7);
  values.push_back(50.0f);  // one outlier sets the min/max range
  AbsHistogram h(50.0f);
  h.Add(values.data(), static_cast<int64_t>(values.size()));
  float p = PercentileThreshold(h, 99.9);
  EXPECT_GT(p, 2.5f);
  EXPECT_LT(p, 4.5f);  // |N(0,1)| 99.9th percentile is about 3.3
  float e = EntropyThreshold(h);
  EXPECT_GT(e, 1.5f);
  EXPECT_LT(e, 20.0f);
}

TEST_F(QuantizeRoundTrip, StaticPerChannelQdqRunsCloseToFloat) {
  SmallCnn().Save(Path("float.onnx"));
  QuantizeRequest request;
  request.model_path = Path("float.onnx");
  request.output_path = Path("int8.onnx");
  request.calibration_random = 8;
  request.options.per_channel = true;
  request.threads = 1;
  auto summary = QuantizeModelFile(request);
  ASSERT_TRUE(summary.ok()) << summary.status().message();
  EXPECT_EQ(summary->calibration_sets, 8);
  // x, r1, r2 (Relu outputs absorb their Conv's) and f (Gemm input); p
  // only feeds Flatten, which is not quantized.
  EXPECT_EQ(summary->quantized_activations, 4);
  EXPECT_EQ(CountOps(Path("int8.onnx"), "QuantizeLinear"), 4);
  // 4 activations + 3 weights + 2 biases.
  EXPECT_EQ(CountOps(Path("int8.onnx"), "DequantizeLinear"), 9);
  ASSERT_EQ(summary->accuracy.outputs.size(), 1u);
  const OutputAccuracy& y = summary->accuracy.outputs[0];
  EXPECT_EQ(y.name, "y");
  EXPECT_GT(y.cosine_similarity, 0.99);
  EXPECT_LT(y.mean_abs_error, 0.05);
  EXPECT_GE(y.top1_agreement, 0.0);
}

TEST_F(QuantizeRoundTrip, ExcludedOperatorsStayFloatAndEveryMethodWorks) {
  SmallCnn().Save(Path("float.onnx"));
  for (RangeMethod method : {RangeMethod::kPercentile, RangeMethod::kEntropy}) {
    QuantizeRequest request;
    request.model_path = Path("float.onnx");
    request.output_path = Path("int8.onnx");
    request.calibration_random = 4;
    request.options.method = method;
    request.options.exclude = {"Gemm", "GlobalAveragePool"};
    request.threads = 1;
    auto summary = QuantizeModelFile(request);
    ASSERT_TRUE(summary.ok()) << summary.status().message();
    // x and r1; r2 feeds only the excluded (float) GlobalAveragePool, so it stays float.
    EXPECT_EQ(summary->quantized_activations, 2);
    EXPECT_GT(summary->accuracy.outputs[0].cosine_similarity, 0.98);
  }
}

TEST_F(QuantizeRoundTrip, OnlyOperatorsWithIntegerKernelsGetQdq) {
  // x -> MatMul(W) -> Add(bias) -> MatMul(., k) -> y, with k a second input:
  // a transformer's projection, its bias and an attention-score product.
  testing::ModelBuilder b(13);
  b.Input("x", DataType::kFloat, {4, 8}).Input("k", DataType::kFloat, {8, 4}).Output("y", DataType::kFloat, {4, 4});
  b.Initializer("w", RandomValues(8 * 8, 0.3f, 21), {8, 8});
  b.Initializer("bias", RandomValues(8, 0.1f, 22), {8});
  b.Node("MatMul", {"x", "w"}, {"h"});
  b.Node("Add", {"h", "bias"}, {"hb"});
  b.Node("MatMul", {"hb", "k"}, {"y"});
  b.Save(Path("float.onnx"));
  QuantizeRequest request;
  request.model_path = Path("float.onnx");
  request.output_path = Path("int8.onnx");
  request.calibration_random = 4;
  request.threads = 1;
  auto summary = QuantizeModelFile(request);
  ASSERT_TRUE(summary.ok()) << summary.status().message();
  // Only the projection's input: its output feeds a float bias Add, and
  // the product of two activations has no integer kernel.
  EXPECT_EQ(summary->quantized_activations, 1);
  EXPECT_EQ(CountOps(Path("int8.onnx"), "QuantizeLinear"), 1);
  EXPECT_EQ(CountOps(Path("int8.onnx"), "DequantizeLinear"), 2);  // x and the weight
  EXPECT_GT(summary->accuracy.outputs[0].cosine_similarity, 0.99);
}

TEST_F(QuantizeRoundTrip, DynamicRewritesMatMulAndGemm) {
  testing::ModelBuilder b(13);
  b.Input("x", DataType::kFloat, {-1, 16}).Output("y", DataType::kFloat, {-1, 4});
  b.Initializer("w1", RandomValues(16 * 8, 0.3f, 11), {16, 8});
  b.Initializer("w2", RandomValues(4 * 8, 0.3f, 12), {4, 8});
  b.Initializer("b2", RandomValues(4, 0.1f, 13), {4});
  b.Node("MatMul", {"x", "w1"}, {"h"});
  b.Node("Gemm", {"h", "w2", "b2"}, {"y"});
  SetIntAttr(b.proto().mutable_graph()->mutable_node(1), "transB", 1);
  b.Save(Path("float.onnx"));
  QuantizeRequest request;
  request.model_path = Path("float.onnx");
  request.output_path = Path("dynamic.onnx");
  request.options.dynamic = true;
  request.options.per_channel = true;
  request.threads = 1;
  auto summary = QuantizeModelFile(request);
  ASSERT_TRUE(summary.ok()) << summary.status().message();
  EXPECT_EQ(summary->quantized_nodes, 2);
  EXPECT_EQ(CountOps(Path("dynamic.onnx"), "MatMulInteger"), 2);
  EXPECT_EQ(CountOps(Path("dynamic.onnx"), "MatMul"), 0);
  EXPECT_EQ(summary->accuracy_source, "random inputs");
  EXPECT_GT(summary->accuracy.outputs[0].cosine_similarity, 0.99);
}

TEST_F(QuantizeRoundTrip, BadRequestsFailWithAReason) {
  SmallCnn().Save(Path("float.onnx"));
  QuantizeRequest request;
  request.model_path = Path("float.onnx");
  request.output_path = Path("int8.onnx");
  auto no_calibration = QuantizeModelFile(request);
  EXPECT_EQ(no_calibration.status().code(), StatusCode::kInvalidArgument);
  request.calibration_dir = Path("missing");
  EXPECT_EQ(QuantizeModelFile(request).status().code(), StatusCode::kInvalidArgument);
  request.model_path = Path("nope.onnx");
  EXPECT_EQ(QuantizeModelFile(request).status().code(), StatusCode::kNotFound);

  testing::ModelBuilder old(11);
  old.Input("x", DataType::kFloat, {2, 2}).Output("y", DataType::kFloat, {2, 2});
  old.Initializer("w", {1, 2, 3, 4}, {2, 2});
  old.Node("MatMul", {"x", "w"}, {"y"});
  old.Save(Path("old.onnx"));
  request = {};
  request.model_path = Path("old.onnx");
  request.output_path = Path("int8.onnx");
  request.calibration_random = 1;
  request.options.per_channel = true;
  auto per_channel = QuantizeModelFile(request);
  ASSERT_FALSE(per_channel.ok());
  EXPECT_NE(per_channel.status().message().find("opset 13"), std::string::npos);
}

}  // namespace
}  // namespace kiln::quantization
