#include "engine/passes/transpose_merge.h"

#include <optional>

#include "engine/passes/graph_util.h"

namespace kiln::passes {
namespace {

bool IsTranspose(const ir::Node& node) {
  return node.domain.empty() && node.op_type == "Transpose" && node.inputs.size() == 1 && !node.inputs[0].empty() &&
         node.outputs.size() == 1;
}

// The node's permutation (default: reversed axes, which needs the input's
// rank), or nullopt when unknown or invalid.
std::optional<std::vector<int64_t>> Permutation(const ir::Graph& graph, const ir::Node& node) {
  std::vector<int64_t> perm;
  if (node.HasAttribute("perm")) {
    perm = node.GetInts("perm");
  } else {
    std::optional<size_t> rank = KnownRank(graph, node.inputs[0]);
    if (!rank) return std::nullopt;
    perm.resize(*rank);
    for (size_t i = 0; i < *rank; ++i) perm[i] = static_cast<int64_t>(*rank - 1 - i);
  }
  std::vector<bool> seen(perm.size(), false);
  for (int64_t p : perm) {
    if (p < 0 || p >= static_cast<int64_t>(perm.size()) || seen[static_cast<size_t>(p)]) return std::nullopt;
    seen[static_cast<size_t>(p)] = true;
  }
  return perm;
}

bool IsIdentity(const std::vector<int64_t>& perm) {
  for (size_t i = 0; i < perm.size(); ++i)
    if (perm[i] != static_cast<int64_t>(i)) return false;
  return true;
}

}  // namespace

Result<bool> TransposeMergePass::Run(ir::Model& model) {
  ir::Graph& graph = model.graph;
  bool changed = false;
  for (size_t i = 0; i < graph.nodes.size();) {
    if (!IsTranspose(graph.nodes[i])) {
      ++i;
      continue;
    }
    std::optional<std::vector<int64_t>> perm = Permutation(graph, graph.nodes[i]);
    if (!perm) {
      ++i;
      continue;
    }
    // Merge with a Transpose producing the input.
    const ValueUses uses = ValueUses::Of(graph);
    auto producer = uses.producer.find(graph.nodes[i].inputs[0]);
    if (producer != uses.producer.end() && IsTranspose(graph.nodes[producer->second])) {
      std::optional<std::vector<int64_t>> first = Permutation(graph, graph.nodes[producer->second]);
      if (first && first->size() == perm->size()) {
        std::vector<int64_t> merged(perm->size());
        for (size_t k = 0; k < merged.size(); ++k) merged[k] = (*first)[static_cast<size_t>((*perm)[k])];
        ir::Node& node = graph.nodes[i];
        node.inputs[0] = graph.nodes[producer->second].inputs[0];
        ir::Attribute attr;
        attr.name = "perm";
        attr.type = ir::Attribute::Type::kInts;
        attr.ints = merged;
        node.attributes["perm"] = std::move(attr);
        perm = std::move(merged);
        changed = true;
      }
    }
    if (IsIdentity(*perm)) {
      const std::string in = graph.nodes[i].inputs[0];
      const std::string out = graph.nodes[i].outputs[0];
      if (BypassNode(graph, i, in, out)) {
        changed = true;
        continue;
      }
    }
    ++i;
  }
  return changed;
}

}  // namespace kiln::passes
