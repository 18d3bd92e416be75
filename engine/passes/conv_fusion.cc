#include "engine/passes/conv_fusion.h"

#include "engine/passes/fusable_activation.h"
#include "engine/passes/fusion_util.h"
#include "engine/passes/graph_util.h"

namespace kiln::passes {
namespace {

constexpr size_t kBiasInput = 2;
constexpr size_t kResidualInput = 3;

bool IsConvLike(const ir::Node& node) {
  return (node.domain.empty() && node.op_type == "Conv") || (node.domain == "kiln" && node.op_type == "FusedConv");
}

bool HasInput(const ir::Node& node, size_t i) { return i < node.inputs.size() && !node.inputs[i].empty(); }

bool IsFloatTensor(const ir::Graph& graph, const std::string& name) {
  if (const Tensor* t = ConstantValue(graph, name)) return t->dtype() == DataType::kFloat;
  const ir::TypeInfo* type = graph.FindType(name);
  return type != nullptr && type->kind == ir::TypeInfo::Kind::kTensor && type->elem_type == DataType::kFloat;
}

// Equal known ranks and every dimension the same number or the same symbol.
bool SameDeclaredShape(const ir::Graph& graph, const std::string& a, const std::string& b) {
  const ir::TypeInfo* ta = graph.FindType(a);
  const ir::TypeInfo* tb = graph.FindType(b);
  if (ta == nullptr || tb == nullptr || !ta->shape || !tb->shape) return false;
  if (ta->shape->size() != tb->shape->size()) return false;
  for (size_t i = 0; i < ta->shape->size(); ++i) {
    const ir::Dim& da = (*ta->shape)[i];
    const ir::Dim& db = (*tb->shape)[i];
    if (da.is_fixed() != db.is_fixed()) return false;
    if (da.is_fixed() ? da.value != db.value : (da.symbol.empty() || da.symbol != db.symbol)) return false;
  }
  return true;
}

// The constant `c` as a per-channel vector of `channels` values when it
// broadcasts against a conv output of rank `rank` along the channel axis
// only ([M,1..1] or [1,M,1..1], or a single value).
std::optional<std::vector<float>> PerChannelConstant(const Tensor& c, int64_t channels, size_t rank) {
  if (c.dtype() != DataType::kFloat || c.rank() > static_cast<int>(rank)) return std::nullopt;
  const float* p = c.data<float>();
  if (c.num_elements() == 1) return std::vector<float>(static_cast<size_t>(channels), p[0]);
  // The channel axis of the output is 1; aligned from the right, it is c's axis (c.rank - (rank - 1)).
  const int channel_axis = c.rank() - static_cast<int>(rank - 1);
  if (channel_axis < 0) return std::nullopt;
  for (int d = 0; d < c.rank(); ++d) {
    if (c.dim(d) != (d == channel_axis ? channels : 1)) return std::nullopt;
  }
  return std::vector<float>(p, p + channels);
}

// Absorbs `reader` (the only reader of `conv`'s output) into `conv`; false
// when it cannot be fused.
bool Absorb(ir::Graph& graph, ir::Node& conv, const ir::Node& reader) {
  const std::string& out = conv.outputs[0];
  // A channels-last output (conv_channels_last) must keep its only-convolution readers.
  if (HasActivation(conv) || conv.GetInt("y_channels_last", 0) != 0) return false;
  if (auto activation = MatchActivation(graph, reader); activation && reader.inputs[0] == out) {
    SetActivation(conv, *activation);
    return true;
  }
  if (!reader.domain.empty() || reader.op_type != "Add" || reader.inputs.size() != 2) return false;
  if (reader.inputs[0] == reader.inputs[1]) return false;
  const std::string& other = reader.inputs[0] == out ? reader.inputs[1] : reader.inputs[0];
  const Tensor* weights = ConstantValue(graph, conv.inputs[1]);
  const Tensor* constant = ConstantValue(graph, other);
  if (constant != nullptr) {
    // A bias add (also after a residual sum: addition commutes), with the
    // channel count known from the weights.
    if (weights == nullptr || weights->rank() < 3) return false;
    auto values = PerChannelConstant(*constant, weights->dim(0), static_cast<size_t>(weights->rank()));
    if (!values) return false;
    const Tensor* old_bias = HasInput(conv, kBiasInput) ? ConstantValue(graph, conv.inputs[kBiasInput]) : nullptr;
    if (HasInput(conv, kBiasInput) && (old_bias == nullptr || old_bias->dtype() != DataType::kFloat ||
                                       old_bias->num_elements() != weights->dim(0))) {
      return false;
    }
    Tensor bias = Tensor::Allocate(DataType::kFloat, {weights->dim(0)});
    for (int64_t m = 0; m < weights->dim(0); ++m) {
      bias.data<float>()[m] = (*values)[static_cast<size_t>(m)] + (old_bias ? old_bias->data<float>()[m] : 0.0f);
    }
    const std::string base = conv.name.empty() ? reader.outputs[0] : conv.name;
    if (conv.inputs.size() <= kBiasInput) conv.inputs.resize(kBiasInput + 1);
    conv.inputs[kBiasInput] = AddInitializer(graph, base + "_fused_bias", std::move(bias));
    return true;
  }
  if (HasInput(conv, kResidualInput)) return false;
  if (!IsFloatTensor(graph, other) || !SameDeclaredShape(graph, other, out) ||
      !SameDeclaredShape(graph, reader.outputs[0], out)) {
    return false;
  }
  conv.inputs.resize(kResidualInput + 1);
  conv.inputs[kResidualInput] = other;
  return true;
}

// One sweep over the graph; true when something was fused.
bool FuseSweep(ir::Graph& graph) {
  const ValueUses uses = ValueUses::Of(graph);
  std::unordered_map<std::string, size_t> reader_of;  // value -> a main-graph node reading it
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    for (const auto& in : graph.nodes[i].inputs) reader_of.emplace(in, i);
  }
  std::vector<bool> removed(graph.nodes.size(), false), touched(graph.nodes.size(), false);
  bool changed = false;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    if (touched[i] || removed[i]) continue;
    ir::Node& conv = graph.nodes[i];
    if (!IsConvLike(conv) || conv.inputs.size() < 2 || conv.outputs.size() != 1) continue;
    const std::string& out = conv.outputs[0];
    if (uses.ReaderCount(out) != 1 || uses.Pinned(out)) continue;
    auto it = reader_of.find(out);
    if (it == reader_of.end() || touched[it->second] || removed[it->second]) continue;
    const size_t j = it->second;
    if (!IsFloatTensor(graph, conv.inputs[1]) && !IsFloatTensor(graph, out)) continue;
    ir::Node fused = conv;
    if (!Absorb(graph, fused, graph.nodes[j])) continue;
    fused.domain = "kiln";
    fused.op_type = "FusedConv";
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

Result<bool> ConvFusionPass::Run(ir::Model& model) {
  bool changed = false;
  while (FuseSweep(model.graph)) changed = true;
  if (changed) ImportKilnDomain(model);
  return changed;
}

}  // namespace kiln::passes
