#include "engine/passes/fusable_activation.h"

#include <limits>

#include "engine/passes/graph_util.h"

namespace kiln::passes {
namespace {

// A Clip bound: the constant scalar at input `index`, `fallback` when the
// input is omitted, nullopt when it is not a constant float scalar.
std::optional<float> ClipBound(const ir::Graph& graph, const ir::Node& node, size_t index, float fallback) {
  if (index >= node.inputs.size() || node.inputs[index].empty()) return fallback;
  const Tensor* t = ConstantValue(graph, node.inputs[index]);
  if (t == nullptr || t->dtype() != DataType::kFloat || t->num_elements() != 1) return std::nullopt;
  return t->data<float>()[0];
}

ir::Attribute StringAttribute(const std::string& key, const std::string& value) {
  ir::Attribute a;
  a.name = key;
  a.type = ir::Attribute::Type::kString;
  a.s = value;
  return a;
}

}  // namespace

std::optional<FusableActivation> MatchActivation(const ir::Graph& graph, const ir::Node& node) {
  if (node.inputs.empty() || node.outputs.size() != 1) return std::nullopt;
  if (node.domain == "kiln" && node.op_type == "Gelu") {
    const std::string approximate = node.GetString("approximate", "none");
    if (approximate != "none" && approximate != "tanh") return std::nullopt;
    return FusableActivation{"Gelu", {}, approximate};
  }
  if (!node.domain.empty()) return std::nullopt;
  const std::string& op = node.op_type;
  if (op == "Relu" || op == "Sigmoid" || op == "HardSwish" || op == "Tanh") return FusableActivation{op, {}, ""};
  if (op == "LeakyRelu") return FusableActivation{op, {node.GetFloat("alpha", 0.01f)}, ""};
  if (op == "HardSigmoid") {
    return FusableActivation{op, {node.GetFloat("alpha", 0.2f), node.GetFloat("beta", 0.5f)}, ""};
  }
  if (op == "Clip") {
    // Opset < 11 keeps the bounds in attributes, later opsets in inputs 1 and 2.
    const float lowest = node.GetFloat("min", std::numeric_limits<float>::lowest());
    const float highest = node.GetFloat("max", std::numeric_limits<float>::max());
    auto lo = ClipBound(graph, node, 1, lowest);
    auto hi = ClipBound(graph, node, 2, highest);
    if (!lo || !hi) return std::nullopt;
    return FusableActivation{op, {*lo, *hi}, ""};
  }
  return std::nullopt;
}

void SetActivation(ir::Node& fused, const FusableActivation& activation) {
  fused.attributes["activation"] = StringAttribute("activation", activation.name);
  if (!activation.params.empty()) {
    ir::Attribute params;
    params.name = "activation_params";
    params.type = ir::Attribute::Type::kFloats;
    params.floats = activation.params;
    fused.attributes["activation_params"] = std::move(params);
  }
  if (!activation.approximate.empty()) {
    fused.attributes["approximate"] = StringAttribute("approximate", activation.approximate);
  }
}

bool HasActivation(const ir::Node& fused) { return fused.HasAttribute("activation"); }

}  // namespace kiln::passes
