// Helpers for the tests of the int8 passes: a small residual CNN, quantized
// by `kiln quantize`'s library code, and a way to run it with chosen passes.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "engine/quantization/quantizer.h"
#include "engine/runtime/session.h"
#include "tests/support/model_builder.h"

namespace kiln::passes::testing {

inline std::vector<float> Normal(size_t n, float scale, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

inline Tensor UniformInput(Shape shape, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(NumElements(shape)));
  for (float& x : v) x = uniform(rng);
  return Tensor::FromVector<float>(shape, v);
}

inline void SetNodeInts(onnx::ModelProto& m, int node, const std::string& name, std::vector<int64_t> v) {
  auto* a = m.mutable_graph()->mutable_node(node)->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}

// x [2,3,10,10] -> Conv+Relu -> MaxPool -> Conv+Relu -> Conv -> + pool -> Relu -> Conv (stride 2)+Relu
//   -> GlobalAveragePool -> y [2,16,1,1]
//   (stem)                   (block: c1, c2, residual add)          (c3)
inline void ResidualCnn(kiln::testing::ModelBuilder& b) {
  b.Input("x", DataType::kFloat, {2, 3, 10, 10}).Output("y", DataType::kFloat, {2, 16, 1, 1});
  b.Initializer("ws", Normal(8 * 3 * 9, 0.3f, 1), {8, 3, 3, 3}).Initializer("bs", Normal(8, 0.1f, 2), {8});
  b.Initializer("w1", Normal(8 * 8, 0.3f, 3), {8, 8, 1, 1});
  b.Initializer("w2", Normal(8 * 8 * 9, 0.2f, 4), {8, 8, 3, 3});
  b.Initializer("w3", Normal(16 * 8, 0.3f, 5), {16, 8, 1, 1});
  b.Node("Conv", {"x", "ws", "bs"}, {"s"}).Node("Relu", {"s"}, {"sr"}).Node("MaxPool", {"sr"}, {"p"});
  b.Node("Conv", {"p", "w1"}, {"c1"}).Node("Relu", {"c1"}, {"r1"}).Node("Conv", {"r1", "w2"}, {"c2"});
  b.Node("Add", {"c2", "p"}, {"sum"}).Node("Relu", {"sum"}, {"r"});
  b.Node("Conv", {"r", "w3"}, {"c3"}).Node("Relu", {"c3"}, {"r3"}).Node("GlobalAveragePool", {"r3"}, {"y"});
  SetNodeInts(b.proto(), 0, "pads", {1, 1, 1, 1});
  SetNodeInts(b.proto(), 2, "kernel_shape", {3, 3});
  SetNodeInts(b.proto(), 2, "strides", {2, 2});
  SetNodeInts(b.proto(), 2, "pads", {1, 1, 1, 1});
  SetNodeInts(b.proto(), 5, "pads", {1, 1, 1, 1});
  SetNodeInts(b.proto(), 8, "strides", {2, 2});
}

// Where QuantizeForTest wrote the float model and its QDQ form.
struct QuantizedModelPaths {
  std::string float_path, int8_path;
};

// Saves `b` into `dir` and quantizes it (random calibration) with
// `activations` as the activation type, per channel or per tensor, statically
// or (`dynamic`) weights only.
inline QuantizedModelPaths QuantizeForTest(kiln::testing::ModelBuilder& b, const std::filesystem::path& dir,
                                           DataType activations, bool per_channel = true, bool dynamic = false) {
  QuantizedModelPaths paths{(dir / "float.onnx").string(), (dir / "int8.onnx").string()};
  b.Save(paths.float_path);
  quantization::QuantizeRequest request;
  request.model_path = paths.float_path;
  request.output_path = paths.int8_path;
  request.calibration_random = 8;
  request.options.per_channel = per_channel;
  request.options.activation_type = activations;
  request.options.dynamic = dynamic;
  request.threads = 1;
  auto summary = quantization::QuantizeModelFile(request);
  EXPECT_TRUE(summary.ok()) << summary.status().message();
  return paths;
}

struct OptimizedRun {
  Tensor y;
  ir::Model model;
};

// Runs the model at `path` on input "x" with the passes in `disabled` off
// (`optimize` false: no passes at all, the QDQ semantics as imported).
inline OptimizedRun RunWithPasses(const std::string& path, const Tensor& x, std::vector<std::string> disabled,
                                  int threads, bool optimize = true) {
  SessionOptions options;
  options.threads = threads;
  options.optimize.disabled = std::move(disabled);
  options.optimize.enabled = optimize;
  OptimizedRun out;
  auto session = Session::Create(path, options);
  EXPECT_TRUE(session.ok()) << session.status().message();
  if (!session.ok()) return out;
  auto outputs = (*session)->Run({{"x", Value(x)}});
  EXPECT_TRUE(outputs.ok()) << outputs.status().message();
  if (outputs.ok()) out.y = (*outputs)[0].tensor();
  out.model = (*session)->model();
  return out;
}

// Kiln-domain nodes of type `op` (with attribute `flag` = 1, when given).
inline int CountKilnOps(const ir::Model& m, const std::string& op, const std::string& flag = "") {
  int n = 0;
  for (const auto& node : m.graph.nodes) {
    if (node.domain == "kiln" && node.op_type == op && (flag.empty() || node.GetInt(flag, 0) == 1)) ++n;
  }
  return n;
}

}  // namespace kiln::passes::testing
