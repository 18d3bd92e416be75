#include "engine/passes/common_subexpression_elimination.h"

#include <optional>

#include "engine/ir/verifier.h"
#include "engine/passes/graph_util.h"

namespace kiln::passes {
namespace {

// Tensors up to this size are compared by value: constants merged when
// equal, tensor attributes part of a node's key.
constexpr size_t kMaxComparedTensorBytes = 4096;

void AppendTensor(std::string& key, const Tensor& t) {
  key += std::to_string(static_cast<int>(t.dtype())) + ShapeToString(t.shape());
  if (t.dtype() == DataType::kString) {
    for (int64_t i = 0; i < t.num_elements(); ++i) {
      const std::string& s = t.data<std::string>()[i];
      key += std::to_string(s.size()) + ":" + s;
    }
  } else {
    key.append(static_cast<const char*>(t.raw_data()), t.byte_size());
  }
}

// A string equal for two nodes exactly when they compute the same thing, or
// nullopt for nodes that must not be merged.
std::optional<std::string> NodeKey(const ir::Node& node) {
  if (IsNondeterministic(node) || HasSubgraph(node)) return std::nullopt;
  std::string key = node.domain + '\0' + node.op_type + '\0';
  for (const auto& in : node.inputs) key += std::to_string(in.size()) + ":" + in;
  key += '\0' + std::to_string(node.outputs.size()) + '\0';
  for (const auto& [name, a] : node.attributes) {
    key += name + '=' + std::to_string(static_cast<int>(a.type)) + ':';
    using T = ir::Attribute::Type;
    switch (a.type) {
      case T::kFloat: key.append(reinterpret_cast<const char*>(&a.f), sizeof a.f); break;
      case T::kInt: key += std::to_string(a.i); break;
      case T::kString: key += std::to_string(a.s.size()) + ":" + a.s; break;
      case T::kTensor:
        if (a.t.byte_size() > kMaxComparedTensorBytes) return std::nullopt;
        AppendTensor(key, a.t);
        break;
      case T::kFloats: key.append(reinterpret_cast<const char*>(a.floats.data()), a.floats.size() * sizeof(float)); break;
      case T::kInts:
        for (int64_t v : a.ints) key += std::to_string(v) + ',';
        break;
      case T::kStrings:
        for (const auto& s : a.strings) key += std::to_string(s.size()) + ":" + s;
        break;
      case T::kTensors:
        for (const auto& t : a.tensors) {
          if (t.byte_size() > kMaxComparedTensorBytes) return std::nullopt;
          AppendTensor(key, t);
        }
        break;
      default:
        return std::nullopt;  // graphs, sparse tensors, type protos: not compared
    }
    key += ';';
  }
  return key;
}

// Maps each constant equal to an earlier one (and free to be renamed) to it.
void MergeEqualConstants(const ir::Graph& graph, const ValueUses& uses,
                         std::unordered_map<std::string, std::string>& renamed) {
  std::unordered_map<std::string, std::string> first_with_value;
  for (const auto& name : graph.initializer_order) {
    const Tensor* t = ConstantValue(graph, name);
    if (t == nullptr || t->byte_size() > kMaxComparedTensorBytes || t->dtype() == DataType::kString ||
        uses.Pinned(name)) {
      continue;
    }
    std::string key;
    AppendTensor(key, *t);
    auto [it, inserted] = first_with_value.emplace(std::move(key), name);
    if (!inserted) renamed[name] = it->second;
  }
}

}  // namespace

Result<bool> CommonSubexpressionEliminationPass::Run(ir::Model& model) {
  ir::Graph& graph = model.graph;
  KILN_ASSIGN_OR_RETURN(std::vector<size_t> order, ir::TopologicalOrder(graph, {}));
  const ValueUses uses = ValueUses::Of(graph);
  std::unordered_map<std::string, size_t> first_with_key;
  std::unordered_map<std::string, std::string> renamed;  // output of a removed copy -> the kept output
  MergeEqualConstants(graph, uses, renamed);
  std::vector<bool> removed(graph.nodes.size(), false);
  bool changed = false;
  for (size_t index : order) {
    ir::Node& node = graph.nodes[index];
    // Producers come first, so renames reach every reader before its key is built.
    for (auto& in : node.inputs) {
      auto it = renamed.find(in);
      if (it == renamed.end()) continue;
      in = it->second;
      changed = true;
    }
    std::optional<std::string> key = NodeKey(node);
    if (!key) continue;
    auto [it, inserted] = first_with_key.emplace(*key, index);
    if (inserted) continue;
    const ir::Node& kept = graph.nodes[it->second];
    bool mergeable = true;
    for (size_t o = 0; o < node.outputs.size(); ++o) {
      const std::string& out = node.outputs[o];
      if (out.empty()) continue;
      mergeable = mergeable && !kept.outputs[o].empty() && !uses.Pinned(out);
    }
    if (!mergeable) continue;
    for (size_t o = 0; o < node.outputs.size(); ++o)
      if (!node.outputs[o].empty()) renamed[node.outputs[o]] = kept.outputs[o];
    removed[index] = true;
    changed = true;
  }
  if (changed) RemoveNodes(graph, removed);
  return changed;
}

}  // namespace kiln::passes
