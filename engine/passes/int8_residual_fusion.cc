#include "engine/passes/int8_residual_fusion.h"

#include <optional>
#include <string>
#include <vector>

#include "engine/passes/fusion_util.h"
#include "engine/passes/graph_util.h"

namespace kiln::passes {
namespace {

// kiln::Int8Add's inputs: a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point.
constexpr size_t kAddInputs = 8, kAddendA = 0, kAddendB = 3, kAddOutputScale = 6;
// kiln::Int8Conv's inputs (int8_params.h): 6 y_scale, 7 y_zero_point, 8 float bias, 9-11 the residual.
constexpr size_t kConvOutputScale = 6, kConvFloatBias = 8, kConvResidual = 9, kConvInputsWithResidual = 12;

bool IsKilnOp(const ir::Node& node, const char* op) { return node.domain == kKilnDomain && node.op_type == op; }

bool HasResidual(const ir::Node& conv) { return HasInput(conv, kConvResidual); }

// A quantized-output Int8Conv without activation or residual, writing one value.
bool IsFusableConv(const ir::Node& node) {
  return IsKilnOp(node, "Int8Conv") && node.outputs.size() == 1 && HasInput(node, kConvOutputScale) &&
         HasInput(node, kConvOutputScale + 1) && !HasInput(node, kConvFloatBias) && !HasResidual(node) &&
         node.GetString("activation", "").empty();
}

// Both values have the same element type and the same fully described shape
// (fixed sizes equal, symbolic dimensions named alike).
bool SameTypeAndShape(const ir::Graph& graph, const std::string& a, const std::string& b) {
  const ir::TypeInfo* ta = graph.FindType(a);
  const ir::TypeInfo* tb = graph.FindType(b);
  if (ta == nullptr || tb == nullptr || !ta->shape || !tb->shape) return false;
  if (ta->elem_type != tb->elem_type || ta->elem_type == DataType::kUndefined) return false;
  if (ta->shape->size() != tb->shape->size()) return false;
  for (size_t i = 0; i < ta->shape->size(); ++i) {
    const ir::Dim& da = (*ta->shape)[i];
    const ir::Dim& db = (*tb->shape)[i];
    const bool same = da.is_fixed() ? db.is_fixed() && da.value == db.value
                                    : !db.is_fixed() && !da.symbol.empty() && da.symbol == db.symbol;
    if (!same) return false;
  }
  return true;
}

// The fused convolution for Int8Add `add` taking the convolution that
// writes its addend `addend`, or nullopt.
std::optional<ir::Node> Fuse(const ir::Graph& graph, const GraphIndex& index, const ir::Node& add, size_t addend) {
  const std::string& conv_out = add.inputs[addend];
  const std::optional<size_t> producer = index.Producer(conv_out);
  if (!producer || !IsFusableConv(graph.nodes[*producer])) return std::nullopt;
  if (!index.SoleReader(conv_out)) return std::nullopt;  // the Int8Add is its one reader
  const ir::Node& conv = graph.nodes[*producer];
  const size_t other = addend == kAddendA ? kAddendB : kAddendA;
  const std::string& residual = add.inputs[other];
  if (residual == conv_out) return std::nullopt;
  const bool add_channels_last = add.GetInt("channels_last", 0) != 0;
  if ((conv.GetInt("y_channels_last", 0) != 0) != add_channels_last) return std::nullopt;
  if (!SameTypeAndShape(graph, conv_out, residual) || !SameTypeAndShape(graph, conv_out, add.outputs[0])) {
    return std::nullopt;
  }
  ir::Node fused = conv;
  fused.name = conv.name.empty() ? "int8_conv_" + add.outputs[0] : conv.name;
  fused.inputs.resize(kConvInputsWithResidual);
  fused.inputs[kConvOutputScale] = add.inputs[kAddOutputScale];
  fused.inputs[kConvOutputScale + 1] = add.inputs[kAddOutputScale + 1];
  fused.inputs[kConvFloatBias] = "";
  fused.inputs[kConvResidual] = residual;
  fused.inputs[kConvResidual + 1] = add.inputs[other + 1];
  fused.inputs[kConvResidual + 2] = add.inputs[other + 2];
  fused.outputs = add.outputs;
  // Int8Add's activation is Relu or none (its kernel refuses others).
  for (const char* key : {"activation", "activation_params"}) {
    if (const ir::Attribute* attribute = add.FindAttribute(key)) fused.attributes[key] = *attribute;
  }
  return fused;
}

}  // namespace

Result<bool> Int8ResidualFusionPass::Run(ir::Model& model) {
  ir::Graph& graph = model.graph;
  return RewriteOneMatchPerScan(graph, [&](const GraphIndex& index, size_t i) -> Result<bool> {
    const ir::Node& add = graph.nodes[i];
    if (!IsKilnOp(add, "Int8Add") || add.inputs.size() != kAddInputs || add.outputs.size() != 1) return false;
    for (size_t addend : {kAddendA, kAddendB}) {
      std::optional<ir::Node> fused = Fuse(graph, index, add, addend);
      if (!fused) continue;
      const size_t conv_index = *index.Producer(add.inputs[addend]);
      ReplaceWithFusedNode(graph, i, std::move(*fused), {conv_index});
      return true;
    }
    return false;
  });
}

}  // namespace kiln::passes
