#include "engine/passes/conv_channels_last.h"

#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/passes/fusable_activation.h"
#include "engine/passes/fusion_util.h"
#include "engine/passes/graph_util.h"

namespace kiln::passes {
namespace {

constexpr size_t kResidualInput = 3;

// value -> (node, input index) of every main-graph read
using ValueReads = std::unordered_map<std::string, std::vector<std::pair<size_t, size_t>>>;

// A convolution oneDNN runs (float32 constant weights, 1-3 spatial
// dimensions, no negative pads), so it can read and write channels-last.
bool Chainable(const ir::Graph& graph, const ir::Node& node) {
  const bool conv = (node.domain.empty() && node.op_type == "Conv") ||
                    (node.domain == "kiln" && node.op_type == "FusedConv");
  if (!conv || node.inputs.size() < 2 || node.outputs.size() != 1) return false;
  const Tensor* weights = ConstantValue(graph, node.inputs[1]);
  if (weights == nullptr || weights->dtype() != DataType::kFloat || weights->rank() < 3 || weights->rank() > 5) {
    return false;
  }
  for (int64_t pad : node.GetInts("pads"))
    if (pad < 0) return false;
  return true;
}

bool ReadsAsConvInput(const ir::Graph& graph, const ir::Node& reader, size_t input) {
  return Chainable(graph, reader) && (input == 0 || input == kResidualInput);
}

// A 2-D MaxPool / AveragePool (no Indices output) that can run channels-last
// between convolutions: its result is read only by chainable convolutions.
// Whether its input can be channels-last is decided at the producer.
bool PoolChainable(const ir::Graph& graph, const ValueUses& uses, const ValueReads& reads, const ir::Node& node) {
  if (!node.domain.empty() || (node.op_type != "MaxPool" && node.op_type != "AveragePool")) return false;
  if (node.inputs.size() != 1 || node.outputs.empty() || node.outputs[0].empty()) return false;
  for (size_t i = 1; i < node.outputs.size(); ++i)
    if (!node.outputs[i].empty()) return false;
  if (node.GetInts("kernel_shape").size() != 2) return false;
  const std::string& out = node.outputs[0];
  if (uses.Pinned(out)) return false;
  auto it = reads.find(out);
  if (it == reads.end() || it->second.empty()) return false;
  for (const auto& [reader, input] : it->second) {
    if (!ReadsAsConvInput(graph, graph.nodes[reader], input)) return false;
  }
  return true;
}

// A GlobalAveragePool / GlobalMaxPool reading `input` 0: it can read
// channels-last and write its usual output, whose spatial dimensions are
// all 1, so both layouts are the same bytes (a CNN's head after its last
// convolution then needs no layout change).
bool GlobalPoolReader(const ir::Node& node, size_t input) {
  return node.domain.empty() && (node.op_type == "GlobalAveragePool" || node.op_type == "GlobalMaxPool") &&
         input == 0 && node.inputs.size() == 1 && node.outputs.size() == 1;
}

void SetFlag(ir::Node& node, const std::string& key) {
  node.domain = "kiln";
  node.op_type = "FusedConv";
  ir::Attribute a;
  a.name = key;
  a.type = ir::Attribute::Type::kInt;
  a.i = 1;
  node.attributes[key] = std::move(a);
}

}  // namespace

Result<bool> ConvChannelsLastPass::Run(ir::Model& model) {
  ir::Graph& graph = model.graph;
  const ValueUses uses = ValueUses::Of(graph);
  ValueReads reads;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const auto& inputs = graph.nodes[i].inputs;
    for (size_t k = 0; k < inputs.size(); ++k) {
      if (!inputs[k].empty()) reads[inputs[k]].emplace_back(i, k);
    }
  }
  bool changed = false;
  for (size_t p = 0; p < graph.nodes.size(); ++p) {
    ir::Node& producer = graph.nodes[p];
    if (!Chainable(graph, producer) || producer.GetInt("y_channels_last", 0) != 0) continue;
    const std::string& out = producer.outputs[0];
    if (uses.Pinned(out)) continue;
    auto it = reads.find(out);
    if (it == reads.end() || it->second.empty()) continue;
    bool all_chainable = true;
    for (const auto& [reader, input] : it->second) {
      const ir::Node& r = graph.nodes[reader];
      if (!ReadsAsConvInput(graph, r, input) && !(input == 0 && PoolChainable(graph, uses, reads, r)) &&
          !GlobalPoolReader(r, input)) {
        all_chainable = false;
      }
    }
    if (!all_chainable) continue;
    SetFlag(producer, "y_channels_last");
    for (const auto& [reader, input] : it->second) {
      ir::Node& r = graph.nodes[reader];
      if (Chainable(graph, r)) {
        SetFlag(r, input == 0 ? "x_channels_last" : "z_channels_last");
        continue;
      }
      if (GlobalPoolReader(r, input)) {  // the chain ends here
        r.domain = "kiln";
        r.op_type += "ChannelsLast";
        continue;
      }
      // A pool between convolutions: it reads and writes channels-last, and
      // so do the convolutions reading it.
      r.domain = "kiln";
      r.op_type += "ChannelsLast";
      for (const auto& [pool_reader, pool_input] : reads.at(r.outputs[0])) {
        SetFlag(graph.nodes[pool_reader], pool_input == 0 ? "x_channels_last" : "z_channels_last");
      }
    }
    changed = true;
  }
  if (changed) ImportKilnDomain(model);
  return changed;
}

}  // namespace kiln::passes
