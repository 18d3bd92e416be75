#include "engine/passes/conv_winograd.h"

#include <algorithm>

#include "engine/passes/fusion_util.h"

namespace kiln::passes {
namespace {

// Below this many channels the Winograd transforms cost more than they save.
constexpr int64_t kMinChannels = 32;

bool AllOnes(const std::vector<int64_t>& values) {
  return std::all_of(values.begin(), values.end(), [](int64_t v) { return v == 1; });
}

bool Eligible(const ir::Graph& graph, const ir::Node& node) {
  const bool conv = IsOp(node, "Conv") || (node.domain == kKilnDomain && node.op_type == "FusedConv");
  if (!conv || node.inputs.size() < 2 || node.outputs.size() != 1) return false;
  if (node.GetString("algorithm", "") == "winograd") return false;  // done already
  if (!IsKnownFloat(graph, node.inputs[0])) return false;
  const Tensor* weights = ConstantValue(graph, node.inputs[1]);
  if (weights == nullptr || weights->dtype() != DataType::kFloat || weights->rank() != 4) return false;
  if (weights->dim(2) != 3 || weights->dim(3) != 3) return false;
  if (weights->dim(0) < kMinChannels || weights->dim(1) < kMinChannels) return false;
  if (node.GetInt("group", 1) != 1) return false;
  if (!AllOnes(node.GetInts("strides")) || !AllOnes(node.GetInts("dilations"))) return false;
  const std::vector<int64_t> kernel_shape = node.GetInts("kernel_shape");
  if (!kernel_shape.empty() && kernel_shape != std::vector<int64_t>{3, 3}) return false;
  for (int64_t pad : node.GetInts("pads"))
    if (pad < 0) return false;
  return true;
}

}  // namespace

Result<bool> ConvWinogradPass::Run(ir::Model& model) {
  bool changed = false;
  for (ir::Node& node : model.graph.nodes) {
    if (!Eligible(model.graph, node)) continue;
    node.domain = kKilnDomain;
    node.op_type = "FusedConv";
    ir::Attribute algorithm;
    algorithm.name = "algorithm";
    algorithm.type = ir::Attribute::Type::kString;
    algorithm.s = "winograd";
    node.attributes["algorithm"] = std::move(algorithm);
    changed = true;
  }
  if (changed) ImportKilnDomain(model);
  return changed;
}

}  // namespace kiln::passes
