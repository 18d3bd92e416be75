#include "engine/passes/dead_code_elimination.h"

#include <algorithm>

#include "engine/ir/verifier.h"
#include "engine/passes/graph_util.h"

namespace kiln::passes {
namespace {

// True when the node passes input 0 through unchanged: Identity, and Dropout
// that runs in inference mode with its mask unused.
bool IsPassThrough(const ir::Graph& graph, const ir::Node& node, int64_t opset) {
  if (!node.domain.empty() || node.inputs.empty() || node.inputs[0].empty() || node.outputs.empty()) return false;
  if (node.op_type == "Identity") return node.outputs.size() == 1;
  if (node.op_type != "Dropout") return false;
  if (node.outputs.size() > 1 && !node.outputs[1].empty()) return false;  // the mask is used
  if (opset < 12 || node.inputs.size() < 3 || node.inputs[2].empty()) return true;
  const Tensor* training = ConstantValue(graph, node.inputs[2]);
  return training != nullptr && training->num_elements() == 1 && training->GetInt(0) == 0;
}

bool RemovePassThroughs(ir::Model& model) {
  ir::Graph& graph = model.graph;
  const int64_t opset = model.OpsetOf("");
  bool changed = false;
  for (size_t i = 0; i < graph.nodes.size();) {
    const ir::Node& node = graph.nodes[i];
    if (IsPassThrough(graph, node, opset)) {
      const std::string in = node.inputs[0];
      const std::string out = node.outputs[0];
      if (BypassNode(graph, i, in, out)) {
        changed = true;
        continue;  // node i is gone; the next one moved into its place
      }
    }
    ++i;
  }
  return changed;
}

}  // namespace

Result<bool> DeadCodeEliminationPass::Run(ir::Model& model) {
  bool changed = RemovePassThroughs(model);
  ir::Graph& graph = model.graph;
  KILN_ASSIGN_OR_RETURN(std::vector<size_t> order, ir::TopologicalOrder(graph, {}));

  // Walk consumers before producers, marking what the outputs need.
  std::unordered_set<std::string> live;
  for (const auto& vi : graph.outputs) live.insert(vi.name);
  std::vector<bool> dead(graph.nodes.size(), false);
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const ir::Node& node = graph.nodes[*it];
    bool needed = std::any_of(node.outputs.begin(), node.outputs.end(),
                              [&](const std::string& out) { return !out.empty() && live.count(out); });
    if (!needed) {
      dead[*it] = true;
      continue;
    }
    for (const auto& in : node.inputs) live.insert(in);
    for (const ir::Graph* sub : SubgraphsOf(node))
      for (auto& name : ir::OuterScopeReads(*sub)) live.insert(std::move(name));
  }
  if (std::find(dead.begin(), dead.end(), true) != dead.end()) {
    RemoveNodes(graph, dead);
    changed = true;
  }

  std::unordered_set<std::string> inputs;
  for (const auto& vi : graph.inputs) inputs.insert(vi.name);
  std::vector<std::string> kept;
  for (const auto& name : graph.initializer_order) {
    if (live.count(name) || inputs.count(name)) {
      kept.push_back(name);
    } else {
      graph.initializers.erase(name);
      changed = true;
    }
  }
  graph.initializer_order = std::move(kept);
  return changed;
}

}  // namespace kiln::passes
