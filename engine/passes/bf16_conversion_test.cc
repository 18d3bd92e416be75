// Bf16ConversionPass and the bf16 kernels: a small CNN + classifier run with
// Precision::kBFloat16 converts its Conv/Gemm/MatMul (absorbing Relu) and
// stays within bfloat16 rounding of float32.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "engine/kernels/cpu/bf16_support.h"
#include "engine/onnx/model_loader.h"
#include "engine/passes/bf16_conversion.h"
#include "engine/runtime/session.h"
#include "tests/support/model_builder.h"

namespace kiln::passes {
namespace {

std::vector<float> Normal(size_t n, float scale, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

void AddInts(onnx::NodeProto* node, const std::string& name, std::vector<int64_t> values) {
  auto* a = node->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t v : values) a->add_ints(v);
}

// x[2,3,8,8] -> Conv(8, 3x3, pad 1, stride 2) -> Relu -> Flatten -> Gemm(transB) -> MatMul -> y[2,5]
std::string CnnModel() {
  testing::ModelBuilder b(13);
  b.Input("x", DataType::kFloat, {2, 3, 8, 8}).Output("y", DataType::kFloat, {2, 5});
  b.Initializer("w", Normal(8 * 3 * 9, 0.3f, 1), {8, 3, 3, 3}).Initializer("b", Normal(8, 0.1f, 2), {8});
  b.Initializer("g", Normal(16 * 128, 0.1f, 3), {16, 128}).Initializer("gb", Normal(16, 0.1f, 4), {16});
  b.Initializer("m", Normal(16 * 5, 0.3f, 5), {16, 5});
  b.Node("Conv", {"x", "w", "b"}, {"c"}).Node("Relu", {"c"}, {"r"}).Node("Flatten", {"r"}, {"f"});
  b.Node("Gemm", {"f", "g", "gb"}, {"h"}).Node("MatMul", {"h", "m"}, {"y"});
  AddInts(b.proto().mutable_graph()->mutable_node(0), "pads", {1, 1, 1, 1});
  AddInts(b.proto().mutable_graph()->mutable_node(0), "strides", {2, 2});
  auto* t = b.proto().mutable_graph()->mutable_node(3)->add_attribute();
  t->set_name("transB");
  t->set_type(onnx::AttributeProto::INT);
  t->set_i(1);
  return b.Serialize();
}

TEST(Bf16Conversion, ConvertsComputeOperatorsAndAbsorbsRelu) {
  auto model = onnx_import::LoadModelBytes(CnnModel(), "");
  ASSERT_TRUE(model.ok()) << model.status().message();
  auto changed = Bf16ConversionPass().Run(*model);
  ASSERT_TRUE(changed.ok());
  EXPECT_TRUE(*changed);
  std::map<std::string, int> ops;
  for (const auto& node : model->graph.nodes) ++ops[node.domain + "::" + node.op_type];
  EXPECT_EQ(ops["kiln::Bf16Conv"], 1);
  EXPECT_EQ(ops["kiln::Bf16MatMul"], 2);
  EXPECT_EQ(ops["::Relu"], 0);
  EXPECT_EQ(ops["::Flatten"], 1);
  EXPECT_EQ(model->opset_imports.at("kiln"), 1);
}

TEST(Bf16Conversion, RunsCloseToFloat32OrExplainsWhyNot) {
  auto fp32_model = onnx_import::LoadModelBytes(CnnModel(), "");
  auto bf16_model = onnx_import::LoadModelBytes(CnnModel(), "");
  ASSERT_TRUE(fp32_model.ok() && bf16_model.ok());
  SessionOptions options;
  options.threads = 1;
  options.precision = Precision::kBFloat16;
  auto bf16 = Session::Create(std::move(bf16_model).value(), options);
  if (!cpu::CpuSupportsBf16()) {
    ASSERT_FALSE(bf16.ok());
    EXPECT_EQ(bf16.status().code(), StatusCode::kUnimplemented);
    EXPECT_NE(bf16.status().message().find("AVX-512 BF16"), std::string::npos);
    GTEST_SKIP() << "this CPU has no AVX-512 BF16";
  }
  ASSERT_TRUE(bf16.ok()) << bf16.status().message();
  options.precision = Precision::kFloat32;
  auto fp32 = Session::Create(std::move(fp32_model).value(), options);
  ASSERT_TRUE(fp32.ok());
  std::vector<float> x = Normal(2 * 3 * 8 * 8, 1.0f, 9);
  std::map<std::string, Value> feeds{{"x", Tensor::FromVector<float>({2, 3, 8, 8}, x)}};
  auto ref = (*fp32)->Run(feeds);
  auto got = (*bf16)->Run(feeds);
  ASSERT_TRUE(ref.ok() && got.ok());
  const Tensor& r = (*ref)[0].tensor();
  const Tensor& g = (*got)[0].tensor();
  ASSERT_EQ(r.shape(), g.shape());
  double max_ref = 0, max_err = 0;
  for (int64_t i = 0; i < r.num_elements(); ++i) {
    max_ref = std::max(max_ref, std::fabs(static_cast<double>(r.data<float>()[i])));
    max_err = std::max(max_err, std::fabs(static_cast<double>(r.data<float>()[i]) - g.data<float>()[i]));
  }
  // bf16 keeps 8 significant bits: a few 2^-8 relative errors over three layers.
  EXPECT_LT(max_err, 0.03 * max_ref);
  EXPECT_GT(max_err, 0.0) << "bf16 rounding should be visible";
}

}  // namespace
}  // namespace kiln::passes
