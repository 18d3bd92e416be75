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
  if (!IsKnownFloat(graph, other) || !SameDeclaredShape(graph, other, out) ||
      !SameDeclaredShape(graph, reader.outputs[0], out)) {
    return false;
  }
  conv.inputs.resize(kResidualInput + 1);
  conv.inputs[kResidualInput] = other;
  return true;
}

}  // namespace

Result<bool> ConvFusionPass::Run(ir::Model& model) {
  return FuseSoleReaders(model, IsConvLike, [](ir::Graph& graph, ir::Node& conv, const ir::Node& reader) {
    if (!Absorb(graph, conv, reader)) return false;
    conv.op_type = "FusedConv";
    return true;
  });
}

}  // namespace kiln::passes
