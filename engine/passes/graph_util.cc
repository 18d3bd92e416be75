#include "engine/passes/graph_util.h"

#include "engine/ir/verifier.h"

namespace kiln::passes {
namespace {

bool IsGraphInput(const ir::Graph& graph, const std::string& name) {
  for (const auto& vi : graph.inputs)
    if (vi.name == name) return true;
  return false;
}

void CollectNames(const ir::Graph& graph, std::unordered_set<std::string>& names) {
  for (const auto& vi : graph.inputs) names.insert(vi.name);
  for (const auto& vi : graph.outputs) names.insert(vi.name);
  for (const auto& kv : graph.initializers) names.insert(kv.first);
  for (const auto& kv : graph.value_types) names.insert(kv.first);
  for (const auto& n : graph.nodes) {
    names.insert(n.inputs.begin(), n.inputs.end());
    names.insert(n.outputs.begin(), n.outputs.end());
    for (const ir::Graph* sub : SubgraphsOf(n)) CollectNames(*sub, names);
  }
}

}  // namespace

ValueUses ValueUses::Of(const ir::Graph& graph) {
  ValueUses uses;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const ir::Node& n = graph.nodes[i];
    for (const auto& in : n.inputs)
      if (!in.empty()) ++uses.readers[in];
    for (const auto& out : n.outputs)
      if (!out.empty()) uses.producer[out] = i;
    for (const ir::Graph* sub : SubgraphsOf(n))
      for (auto& name : ir::OuterScopeReads(*sub)) uses.subgraph_reads.insert(std::move(name));
  }
  for (const auto& vi : graph.outputs) uses.graph_outputs.insert(vi.name);
  return uses;
}

int ValueUses::ReaderCount(const std::string& name) const {
  auto it = readers.find(name);
  return it == readers.end() ? 0 : it->second;
}

std::vector<const ir::Graph*> SubgraphsOf(const ir::Node& node) {
  std::vector<const ir::Graph*> subs;
  for (const auto& kv : node.attributes) {
    if (kv.second.g) subs.push_back(kv.second.g.get());
    for (const auto& g : kv.second.graphs) subs.push_back(g.get());
  }
  return subs;
}

bool HasSubgraph(const ir::Node& node) { return !SubgraphsOf(node).empty(); }

const Tensor* ConstantValue(const ir::Graph& graph, const std::string& name) {
  auto it = graph.initializers.find(name);
  if (it == graph.initializers.end() || IsGraphInput(graph, name)) return nullptr;
  return &it->second;
}

std::optional<Shape> StaticShape(const ir::Graph& graph, const std::string& name) {
  if (const Tensor* t = ConstantValue(graph, name)) return t->shape();
  const ir::TypeInfo* type = graph.FindType(name);
  if (type == nullptr || type->kind != ir::TypeInfo::Kind::kTensor || !type->shape) return std::nullopt;
  Shape shape;
  for (const auto& d : *type->shape) {
    if (!d.is_fixed()) return std::nullopt;
    shape.push_back(d.value);
  }
  return shape;
}

std::optional<size_t> KnownRank(const ir::Graph& graph, const std::string& name) {
  if (const Tensor* t = ConstantValue(graph, name)) return static_cast<size_t>(t->rank());
  const ir::TypeInfo* type = graph.FindType(name);
  if (type == nullptr || type->kind != ir::TypeInfo::Kind::kTensor || !type->shape) return std::nullopt;
  return type->shape->size();
}

void ReplaceUses(ir::Graph& graph, const std::string& from, const std::string& to) {
  for (auto& n : graph.nodes)
    for (auto& in : n.inputs)
      if (in == from) in = to;
}

bool BypassNode(ir::Graph& graph, size_t index, const std::string& in, const std::string& out) {
  ValueUses uses = ValueUses::Of(graph);
  if (uses.subgraph_reads.count(out)) return false;
  if (!uses.graph_outputs.count(out)) {
    graph.nodes.erase(graph.nodes.begin() + static_cast<std::ptrdiff_t>(index));
    ReplaceUses(graph, out, in);
    return true;
  }
  // `out` must keep its name: let `in`'s producer write `out` directly.
  auto producer = uses.producer.find(in);
  if (producer == uses.producer.end() || uses.Pinned(in)) return false;
  for (auto& o : graph.nodes[producer->second].outputs)
    if (o == in) o = out;
  graph.nodes.erase(graph.nodes.begin() + static_cast<std::ptrdiff_t>(index));
  ReplaceUses(graph, in, out);
  return true;
}

void RemoveNodes(ir::Graph& graph, const std::vector<bool>& remove) {
  size_t kept = 0;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    if (remove[i]) continue;
    if (kept != i) graph.nodes[kept] = std::move(graph.nodes[i]);
    ++kept;
  }
  graph.nodes.resize(kept);
}

std::string AddInitializer(ir::Graph& graph, const std::string& base, Tensor value) {
  std::unordered_set<std::string> taken;
  CollectNames(graph, taken);
  std::string name = base;
  for (int suffix = 1; taken.count(name); ++suffix) name = base + "_" + std::to_string(suffix);
  graph.initializers.emplace(name, std::move(value));
  graph.initializer_order.push_back(name);
  return name;
}

bool IsNondeterministic(const ir::Node& node) {
  static const std::unordered_set<std::string> kRandom = {
      "RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike", "Multinomial", "Bernoulli", "Dropout"};
  return node.domain.empty() && kRandom.count(node.op_type) > 0;
}

}  // namespace kiln::passes
