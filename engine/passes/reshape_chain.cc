#include "engine/passes/reshape_chain.h"

#include <algorithm>

#include "engine/passes/graph_util.h"

namespace kiln::passes {
namespace {

bool IsReshapeLike(const ir::Node& node) {
  static const char* const kOps[] = {"Reshape", "Squeeze", "Unsqueeze", "Flatten"};
  return node.domain.empty() && !node.inputs.empty() && !node.inputs[0].empty() && node.outputs.size() == 1 &&
         std::any_of(std::begin(kOps), std::end(kOps), [&](const char* op) { return node.op_type == op; });
}

// A Reshape whose target shape does not depend on its input's shape.
bool IsInputIndependentReshape(const ir::Graph& graph, const ir::Node& node) {
  if (node.op_type != "Reshape" || node.inputs.size() != 2) return false;
  const Tensor* shape = ConstantValue(graph, node.inputs[1]);
  if (shape == nullptr || shape->dtype() != DataType::kInt64 || shape->rank() != 1) return false;
  if (node.GetInt("allowzero", 0) != 0) return true;
  const int64_t* dims = shape->data<int64_t>();
  return std::none_of(dims, dims + shape->num_elements(), [](int64_t d) { return d == 0; });
}

}  // namespace

Result<bool> ReshapeChainPass::Run(ir::Model& model) {
  if (model.OpsetOf("") < 5) return false;  // Reshape took its shape as an attribute before opset 5
  ir::Graph& graph = model.graph;
  bool changed = false;
  for (size_t i = 0; i < graph.nodes.size();) {
    ir::Node& node = graph.nodes[i];
    if (!IsReshapeLike(node)) {
      ++i;
      continue;
    }
    const std::optional<Shape> in_shape = StaticShape(graph, node.inputs[0]);
    const std::optional<Shape> out_shape = StaticShape(graph, node.outputs[0]);
    if (in_shape && out_shape && *in_shape == *out_shape) {
      const std::string in = node.inputs[0];
      const std::string out = node.outputs[0];
      if (BypassNode(graph, i, in, out)) {
        changed = true;
        continue;
      }
    }
    const ValueUses uses = ValueUses::Of(graph);
    auto producer = uses.producer.find(node.inputs[0]);
    if (producer == uses.producer.end() || !IsReshapeLike(graph.nodes[producer->second])) {
      ++i;
      continue;
    }
    const std::string chain_input = graph.nodes[producer->second].inputs[0];
    const bool static_target =
        out_shape && std::none_of(out_shape->begin(), out_shape->end(), [](int64_t d) { return d == 0; });
    if (static_target) {
      const std::string shape_name = AddInitializer(
          graph, node.outputs[0] + "_shape", Tensor::FromVector<int64_t>({static_cast<int64_t>(out_shape->size())}, *out_shape));
      ir::Node& rewritten = graph.nodes[i];
      rewritten.op_type = "Reshape";
      rewritten.attributes.clear();
      rewritten.inputs = {chain_input, shape_name};
      changed = true;
    } else if (IsInputIndependentReshape(graph, node)) {
      node.inputs[0] = chain_input;
      changed = true;
    }
    ++i;
  }
  return changed;
}

}  // namespace kiln::passes
