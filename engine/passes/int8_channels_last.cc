#include "engine/passes/int8_channels_last.h"

#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "engine/passes/fusion_util.h"
#include "engine/passes/graph_util.h"

namespace kiln::passes {
namespace {

// Int8Add's inputs: a, a_scale, a_zero_point, b, ...
constexpr size_t kAddendA = 0, kAddendB = 3;
// Int8Conv's input 6: y_scale, present when the output is quantized; 9: a
// fused residual.
constexpr size_t kConvOutputScale = 6, kConvResidual = 9;

// value -> (node, input index) of every main-graph read
using ValueReads = std::unordered_map<std::string, std::vector<std::pair<size_t, size_t>>>;

bool IsKilnOp(const ir::Node& node, const char* op) { return node.domain == kKilnDomain && node.op_type == op; }
bool IsOnnxOp(const ir::Node& node, const char* op) { return node.domain.empty() && node.op_type == op; }

// Inputs `scale` and `zero_point` of a (De)QuantizeLinear: a constant float32
// scalar scale and a constant uint8/int8 scalar zero point (or none when
// `zero_point_optional`).
bool ScalarQuantization(const ir::Graph& graph, const ir::Node& node, bool zero_point_optional) {
  if (node.inputs.size() < 2) return false;
  const Tensor* scale = ConstantValue(graph, node.inputs[1]);
  if (scale == nullptr || scale->dtype() != DataType::kFloat || scale->num_elements() != 1) return false;
  if (node.inputs.size() < 3 || node.inputs[2].empty()) return zero_point_optional;
  const Tensor* zp = ConstantValue(graph, node.inputs[2]);
  return zp != nullptr && zp->num_elements() == 1 &&
         (zp->dtype() == DataType::kUInt8 || zp->dtype() == DataType::kInt8);
}

// A 2-D MaxPool without Indices output: on a channels-last int8 input (it
// joins a chain only after an int8 writer) it runs as
// kiln::MaxPoolChannelsLast. qdq_fusion turns QDQ max pooling into such
// MaxPools on the quantized values.
bool IsInt8MaxPoolCandidate(const ir::Node& node) {
  return IsOnnxOp(node, "MaxPool") && node.inputs.size() == 1 && node.outputs.size() == 1 &&
         !node.outputs[0].empty() && node.GetInts("kernel_shape").size() == 2;
}

// A node that can write its output 0 channels-last.
bool WritesChannelsLast(const ir::Graph& graph, const ir::Node& node) {
  if (node.outputs.size() != 1 || node.outputs[0].empty()) return false;
  if (IsKilnOp(node, "Int8Conv")) {
    // With a residual (int8_residual_fusion) the output keeps the residual's layout.
    const bool residual = node.inputs.size() > kConvResidual && !node.inputs[kConvResidual].empty();
    return node.GetInt("y_channels_last", 0) == 0 && node.inputs.size() > kConvOutputScale &&
           !node.inputs[kConvOutputScale].empty() && !residual;
  }
  if (IsKilnOp(node, "Int8Add")) return node.inputs.size() == 8 && node.GetInt("channels_last", 0) == 0;
  if (IsInt8MaxPoolCandidate(node)) return true;
  if (IsOnnxOp(node, "QuantizeLinear")) {
    // The zero point decides the output type (an output_dtype attribute could too).
    if (node.FindAttribute("output_dtype") != nullptr || !ScalarQuantization(graph, node, false)) return false;
    if (node.GetInt("saturate", 1) != 1) return false;
    const ir::TypeInfo* type = graph.FindType(node.inputs[0]);
    return type != nullptr && type->elem_type == DataType::kFloat && KnownRank(graph, node.inputs[0]) == 4;
  }
  return false;
}

// Whether `reader` can read its input `input` channels-last; `computes` is
// set when it is an int8 operator (not a chain exit).
bool ReadsChannelsLast(const ir::Graph& graph, const ir::Node& reader, size_t input, bool* computes) {
  if (IsKilnOp(reader, "Int8Conv")) {
    *computes = true;
    return input == 0 && reader.GetInt("x_channels_last", 0) == 0;
  }
  if (IsKilnOp(reader, "Int8Add")) {
    *computes = true;
    return (input == kAddendA || input == kAddendB) && reader.inputs.size() == 8 &&
           reader.GetInt("channels_last", 0) == 0;
  }
  if (IsInt8MaxPoolCandidate(reader)) {
    *computes = true;
    return input == 0;
  }
  if (IsOnnxOp(reader, "DequantizeLinear")) {
    *computes = false;
    return input == 0 && reader.outputs.size() == 1 && ScalarQuantization(graph, reader, true);
  }
  return false;
}

void SetFlag(ir::Node& node, const std::string& key) {
  ir::Attribute a;
  a.name = key;
  a.type = ir::Attribute::Type::kInt;
  a.i = 1;
  node.attributes[key] = std::move(a);
}

// A (De)QuantizeLinear becomes its channels-last kiln form (same inputs;
// its attributes only mattered for per-axis or float8 forms).
void ToKilnOp(ir::Node& node, const char* op_type) {
  node.domain = kKilnDomain;
  node.op_type = op_type;
  node.attributes.clear();
}

}  // namespace

Result<bool> Int8ChannelsLastPass::Run(ir::Model& model) {
  ir::Graph& graph = model.graph;
  const ValueUses uses = ValueUses::Of(graph);
  ValueReads reads;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const auto& inputs = graph.nodes[i].inputs;
    for (size_t k = 0; k < inputs.size(); ++k) {
      if (!inputs[k].empty()) reads[inputs[k]].emplace_back(i, k);
    }
  }

  // Values whose writer and readers all can keep them channels-last.
  std::unordered_set<std::string> chained;
  for (const ir::Node& node : graph.nodes) {
    if (!WritesChannelsLast(graph, node)) continue;
    const std::string& out = node.outputs[0];
    if (uses.Pinned(out)) continue;
    auto it = reads.find(out);
    if (it == reads.end()) continue;
    bool all = true, any_computes = false;
    for (const auto& [reader, input] : it->second) {
      bool computes = false;
      all = all && ReadsChannelsLast(graph, graph.nodes[reader], input, &computes);
      any_computes = any_computes || computes;
    }
    // A quantize read only by dequantizes would just transpose twice.
    if (all && (any_computes || !IsOnnxOp(node, "QuantizeLinear"))) chained.insert(out);
  }
  // An Int8Add or a MaxPool computes in one layout: its inputs and its
  // result all channels-last, or none.
  for (bool dropped = true; dropped;) {
    dropped = false;
    for (const ir::Node& node : graph.nodes) {
      std::vector<const std::string*> values;
      if (IsKilnOp(node, "Int8Add") && node.inputs.size() == 8 && node.outputs.size() == 1) {
        values = {&node.inputs[kAddendA], &node.inputs[kAddendB], &node.outputs[0]};
      } else if (IsInt8MaxPoolCandidate(node)) {
        values = {&node.inputs[0], &node.outputs[0]};
      } else {
        continue;
      }
      size_t in_chain = 0;
      for (const std::string* v : values) in_chain += chained.count(*v);
      if (in_chain == 0 || in_chain == values.size()) continue;
      for (const std::string* v : values) chained.erase(*v);
      dropped = true;
    }
  }
  if (chained.empty()) return false;

  for (const std::string& value : chained) {
    ir::Node& producer = graph.nodes[uses.producer.at(value)];
    if (IsKilnOp(producer, "Int8Conv")) SetFlag(producer, "y_channels_last");
    if (IsKilnOp(producer, "Int8Add")) SetFlag(producer, "channels_last");
    if (IsOnnxOp(producer, "QuantizeLinear")) ToKilnOp(producer, "QuantizeLinearToChannelsLast");
    if (IsInt8MaxPoolCandidate(producer)) {
      producer.domain = kKilnDomain;
      producer.op_type = "MaxPoolChannelsLast";
    }
    for (const auto& [reader_index, input] : reads.at(value)) {
      ir::Node& reader = graph.nodes[reader_index];
      if (IsKilnOp(reader, "Int8Conv")) SetFlag(reader, "x_channels_last");
      if (IsOnnxOp(reader, "DequantizeLinear")) ToKilnOp(reader, "DequantizeLinearFromChannelsLast");
      // Int8Add and MaxPool readers are changed as the producers of their results.
    }
  }
  ImportKilnDomain(model);
  return true;
}

}  // namespace kiln::passes
