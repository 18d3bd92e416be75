#include "engine/passes/fusion_util.h"

#include <algorithm>
#include <cmath>

namespace kiln::passes {

void ImportKilnDomain(ir::Model& model) { model.opset_imports.emplace(kKilnDomain, kKilnDomainVersion); }

GraphIndex::GraphIndex(const ir::Graph& graph) : uses_(ValueUses::Of(graph)) {
  for (size_t i = 0; i < graph.nodes.size(); ++i)
    for (const auto& in : graph.nodes[i].inputs)
      if (!in.empty()) readers_[in].push_back(i);
}

std::optional<size_t> GraphIndex::Producer(const std::string& value) const {
  auto it = uses_.producer.find(value);
  if (it == uses_.producer.end()) return std::nullopt;
  return it->second;
}

const std::vector<size_t>& GraphIndex::Readers(const std::string& value) const {
  static const std::vector<size_t> kNone;
  auto it = readers_.find(value);
  return it == readers_.end() ? kNone : it->second;
}

std::optional<size_t> GraphIndex::SoleReader(const std::string& value) const {
  if (uses_.Pinned(value)) return std::nullopt;
  const std::vector<size_t>& readers = Readers(value);
  if (readers.size() != 1) return std::nullopt;
  return readers[0];
}

bool IsOp(const ir::Node& node, const char* op_type) { return node.domain.empty() && node.op_type == op_type; }

namespace {

std::optional<double> OneFloat(const Tensor& t) {
  if (!t.defined() || t.num_elements() != 1) return std::nullopt;
  switch (t.dtype()) {
    case DataType::kFloat:
    case DataType::kDouble:
    case DataType::kFloat16:
    case DataType::kBFloat16:
      return t.GetDouble(0);
    default:
      return std::nullopt;
  }
}

}  // namespace

std::optional<double> ScalarConstant(const ir::Graph& graph, const GraphIndex& index, const std::string& name) {
  if (const Tensor* t = ConstantValue(graph, name)) return OneFloat(*t);
  std::optional<size_t> producer = index.Producer(name);
  if (!producer) return std::nullopt;
  const ir::Node& node = graph.nodes[*producer];
  if (!IsOp(node, "Constant")) return std::nullopt;
  if (const Tensor* t = node.GetTensor("value")) return OneFloat(*t);
  if (node.HasAttribute("value_float")) return node.GetFloat("value_float", 0);
  return std::nullopt;
}

bool IsScalarNear(const ir::Graph& graph, const GraphIndex& index, const std::string& name, double expected) {
  std::optional<double> v = ScalarConstant(graph, index, name);
  return v && std::fabs(*v - expected) <= 1e-4 * std::fabs(expected);
}

std::string OtherInput(const ir::Node& node, const std::string& one) {
  if (node.inputs.size() != 2 || node.inputs[0] == node.inputs[1]) return "";
  if (node.inputs[0] == one) return node.inputs[1];
  if (node.inputs[1] == one) return node.inputs[0];
  return "";
}

bool IsKnownFloat(const ir::Graph& graph, const std::string& name) {
  if (const Tensor* t = ConstantValue(graph, name)) return t->dtype() == DataType::kFloat;
  const ir::TypeInfo* type = graph.FindType(name);
  return type != nullptr && type->kind == ir::TypeInfo::Kind::kTensor && type->elem_type == DataType::kFloat;
}

void ReplaceWithFusedNode(ir::Graph& graph, size_t last, ir::Node fused, const std::vector<size_t>& absorbed) {
  graph.nodes[last] = std::move(fused);
  std::vector<bool> remove(graph.nodes.size(), false);
  for (size_t i : absorbed) remove[i] = true;
  RemoveNodes(graph, remove);
}

Result<bool> RewriteOneMatchPerScan(ir::Graph& graph, const RewriteAt& rewrite_at) {
  bool changed = false;
  for (bool found = true; found;) {
    found = false;
    const GraphIndex index(graph);
    for (size_t i = 0; i < graph.nodes.size() && !found; ++i) {
      Result<bool> rewritten = rewrite_at(index, i);
      if (!rewritten.ok()) return rewritten.status();
      found = *rewritten;
    }
    changed = changed || found;
  }
  return changed;
}

bool HasInput(const ir::Node& node, size_t i) { return i < node.inputs.size() && !node.inputs[i].empty(); }

namespace {

// One sweep of FuseSoleReaders over the graph; true when something was fused.
bool FuseSoleReadersSweep(ir::Graph& graph, const ProducerFilter& is_producer, const ReaderAbsorber& absorb) {
  const ValueUses uses = ValueUses::Of(graph);
  std::unordered_map<std::string, size_t> reader_of;  // value -> a main-graph node reading it
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    for (const auto& in : graph.nodes[i].inputs) reader_of.emplace(in, i);
  }
  std::vector<bool> removed(graph.nodes.size(), false), touched(graph.nodes.size(), false);
  bool changed = false;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    if (touched[i] || removed[i]) continue;
    const ir::Node& node = graph.nodes[i];
    if (!is_producer(node) || node.inputs.size() < 2 || node.outputs.size() != 1) continue;
    const std::string& out = node.outputs[0];
    if (uses.ReaderCount(out) != 1 || uses.Pinned(out)) continue;
    auto it = reader_of.find(out);
    if (it == reader_of.end() || touched[it->second] || removed[it->second]) continue;
    const size_t j = it->second;
    if (!IsKnownFloat(graph, node.inputs[1]) && !IsKnownFloat(graph, out)) continue;
    ir::Node fused = node;
    if (!absorb(graph, fused, graph.nodes[j])) continue;
    fused.domain = kKilnDomain;
    fused.outputs[0] = graph.nodes[j].outputs[0];
    // The fused node runs where the absorbed node ran: after all of its inputs.
    const size_t keep = std::max(i, j), drop = std::min(i, j);
    graph.nodes[keep] = std::move(fused);
    removed[drop] = true;
    touched[keep] = true;
    changed = true;
  }
  if (changed) RemoveNodes(graph, removed);
  return changed;
}

}  // namespace

bool FuseSoleReaders(ir::Model& model, const ProducerFilter& is_producer, const ReaderAbsorber& absorb) {
  bool changed = false;
  while (FuseSoleReadersSweep(model.graph, is_producer, absorb)) changed = true;
  if (changed) ImportKilnDomain(model);
  return changed;
}

}  // namespace kiln::passes
