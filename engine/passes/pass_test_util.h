// Helpers for the pass unit tests: build IR graphs directly and check that a
// rewritten model computes what the original one did.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "engine/ir/graph.h"
#include "engine/passes/fusion_util.h"
#include "engine/runtime/session.h"
#include "tests/support/value_compare.h"

namespace kiln::passes::testing {

inline ir::Model NewModel(int64_t opset = 13) {
  ir::Model model;
  model.ir_version = 8;
  model.opset_imports[""] = opset;
  model.graph.name = "test";
  return model;
}

inline ir::TypeInfo FloatType(const std::vector<int64_t>& dims) {
  std::vector<ir::Dim> shape;
  for (int64_t d : dims) shape.push_back(d >= 0 ? ir::Dim{d, ""} : ir::Dim{-1, "n"});
  return ir::TypeInfo::Tensor(DataType::kFloat, shape);
}

inline void AddInput(ir::Model& m, const std::string& name, const std::vector<int64_t>& dims) {
  m.graph.inputs.push_back({name, FloatType(dims)});
}

// Declares the float type of an intermediate value, as shape inference would.
inline void DeclareFloat(ir::Model& m, const std::string& name, const std::vector<int64_t>& dims) {
  m.graph.value_types[name] = FloatType(dims);
}

inline void AddOutput(ir::Model& m, const std::string& name, const std::vector<int64_t>& dims = {}) {
  m.graph.outputs.push_back({name, dims.empty() ? ir::TypeInfo{} : FloatType(dims)});
}

inline void AddConstant(ir::Model& m, const std::string& name, Tensor value) {
  m.graph.initializers[name] = std::move(value);
  m.graph.initializer_order.push_back(name);
}

inline ir::Node& AddNode(ir::Model& m, const std::string& op, std::vector<std::string> inputs,
                         std::vector<std::string> outputs) {
  ir::Node n;
  n.name = op + "_" + std::to_string(m.graph.nodes.size());
  n.op_type = op;
  n.inputs = std::move(inputs);
  n.outputs = std::move(outputs);
  m.graph.nodes.push_back(std::move(n));
  return m.graph.nodes.back();
}

inline void SetInts(ir::Node& node, const std::string& key, std::vector<int64_t> values) {
  ir::Attribute a;
  a.name = key;
  a.type = ir::Attribute::Type::kInts;
  a.ints = std::move(values);
  node.attributes[key] = std::move(a);
}

inline void SetInt(ir::Node& node, const std::string& key, int64_t value) {
  ir::Attribute a;
  a.name = key;
  a.type = ir::Attribute::Type::kInt;
  a.i = value;
  node.attributes[key] = std::move(a);
}

// A float scalar (rank 0) holding `v`.
inline Tensor Scalar(float v) {
  Tensor t = Tensor::Allocate(DataType::kFloat, {});
  t.data<float>()[0] = v;
  return t;
}

// A float tensor of `shape` with distinct values 0.1*i - 1.
inline Tensor Ramp(const Shape& shape) {
  Tensor t = Tensor::Allocate(DataType::kFloat, shape);
  for (int64_t i = 0; i < t.num_elements(); ++i) t.data<float>()[i] = 0.1f * static_cast<float>(i) - 1.0f;
  return t;
}

inline int CountOps(const ir::Graph& g, const std::string& op) {
  int n = 0;
  for (const auto& node : g.nodes) n += node.op_type == op;
  return n;
}

// The first node of kiln-domain operator `op`, or nullptr.
inline const ir::Node* FindKilnNode(const ir::Model& m, const std::string& op) {
  for (const auto& n : m.graph.nodes)
    if (n.op_type == op && n.domain == kKilnDomain) return &n;
  return nullptr;
}

inline std::vector<Value> RunModel(const ir::Model& model, const std::map<std::string, Value>& feeds) {
  SessionOptions unoptimized;
  unoptimized.optimize.enabled = false;
  auto session = Session::Create(model, unoptimized);
  EXPECT_TRUE(session.ok()) << session.status().ToString();
  if (!session.ok()) return {};
  auto out = (*session)->Run(feeds);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? std::move(out).value() : std::vector<Value>{};
}

// Both models give the same outputs (within float rounding) on `feeds`.
inline void ExpectSameResults(const ir::Model& original, const ir::Model& rewritten,
                              const std::map<std::string, Value>& feeds) {
  std::vector<Value> expected = RunModel(original, feeds);
  std::vector<Value> actual = RunModel(rewritten, feeds);
  ASSERT_EQ(expected.size(), actual.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(kiln::testing::CompareValues(actual[i], expected[i], {1e-5, 1e-6}), "") << "output " << i;
  }
}

}  // namespace kiln::passes::testing
