#include "engine/passes/conv_bn_folding.h"

#include <cmath>

#include "engine/passes/graph_util.h"

namespace kiln::passes {
namespace {

struct BatchNormParams {
  const Tensor* scale;
  const Tensor* bias;
  const Tensor* mean;
  const Tensor* var;
  double epsilon;
};

// The constant per-channel parameters of an inference-mode BatchNormalization
// over `channels` channels of `dtype`, or nullopt.
std::optional<BatchNormParams> InferenceBatchNorm(const ir::Graph& graph, const ir::Node& bn, DataType dtype,
                                                  int64_t channels) {
  if (bn.inputs.size() != 5 || bn.GetInt("training_mode", 0) != 0) return std::nullopt;
  // Legacy attributes: per-activation statistics (spatial = 0) or training (is_test = 0).
  if (bn.GetInt("spatial", 1) != 1 || bn.GetInt("is_test", 1) == 0) return std::nullopt;
  for (size_t o = 1; o < bn.outputs.size(); ++o)
    if (!bn.outputs[o].empty()) return std::nullopt;  // training statistics are read
  BatchNormParams p{ConstantValue(graph, bn.inputs[1]), ConstantValue(graph, bn.inputs[2]),
                    ConstantValue(graph, bn.inputs[3]), ConstantValue(graph, bn.inputs[4]),
                    bn.GetFloat("epsilon", 1e-5f)};
  for (const Tensor* t : {p.scale, p.bias, p.mean, p.var}) {
    if (t == nullptr || t->dtype() != dtype || t->num_elements() != channels) return std::nullopt;
  }
  return p;
}

template <typename T>
void FoldInto(const Tensor& weight, const Tensor* conv_bias, const BatchNormParams& bn, Tensor& new_weight,
              Tensor& new_bias) {
  const int64_t channels = weight.dim(0);
  const int64_t per_channel = weight.num_elements() / channels;
  const T* w = weight.data<T>();
  T* nw = new_weight.data<T>();
  T* nb = new_bias.data<T>();
  for (int64_t c = 0; c < channels; ++c) {
    const double s = static_cast<double>(bn.scale->data<T>()[c]) /
                     std::sqrt(static_cast<double>(bn.var->data<T>()[c]) + bn.epsilon);
    for (int64_t k = 0; k < per_channel; ++k) nw[c * per_channel + k] = static_cast<T>(w[c * per_channel + k] * s);
    const double b = conv_bias ? static_cast<double>(conv_bias->data<T>()[c]) : 0.0;
    nb[c] = static_cast<T>((b - bn.mean->data<T>()[c]) * s + bn.bias->data<T>()[c]);
  }
}

}  // namespace

Result<bool> ConvBatchNormFoldingPass::Run(ir::Model& model) {
  ir::Graph& graph = model.graph;
  bool changed = false;
  ValueUses uses = ValueUses::Of(graph);
  std::vector<bool> removed(graph.nodes.size(), false);
  for (size_t b = 0; b < graph.nodes.size(); ++b) {
    const ir::Node& bn = graph.nodes[b];
    if (!bn.domain.empty() || bn.op_type != "BatchNormalization" || bn.inputs.empty()) continue;
    auto producer = uses.producer.find(bn.inputs[0]);
    if (producer == uses.producer.end()) continue;
    ir::Node& conv = graph.nodes[producer->second];
    if (!conv.domain.empty() || conv.op_type != "Conv" || conv.inputs.size() < 2 || conv.outputs.size() != 1) continue;
    const std::string& conv_out = conv.outputs[0];
    if (uses.ReaderCount(conv_out) != 1 || uses.Pinned(conv_out)) continue;
    const Tensor* weight = ConstantValue(graph, conv.inputs[1]);
    if (weight == nullptr || weight->rank() < 3 || weight->dim(0) == 0) continue;
    if (weight->dtype() != DataType::kFloat && weight->dtype() != DataType::kDouble) continue;
    const bool has_bias = conv.inputs.size() > 2 && !conv.inputs[2].empty();
    const Tensor* conv_bias = has_bias ? ConstantValue(graph, conv.inputs[2]) : nullptr;
    if (has_bias && (conv_bias == nullptr || conv_bias->dtype() != weight->dtype() ||
                     conv_bias->num_elements() != weight->dim(0))) {
      continue;
    }
    auto params = InferenceBatchNorm(graph, bn, weight->dtype(), weight->dim(0));
    if (!params) continue;

    Tensor new_weight = Tensor::Allocate(weight->dtype(), weight->shape());
    Tensor new_bias = Tensor::Allocate(weight->dtype(), {weight->dim(0)});
    if (weight->dtype() == DataType::kFloat) {
      FoldInto<float>(*weight, conv_bias, *params, new_weight, new_bias);
    } else {
      FoldInto<double>(*weight, conv_bias, *params, new_weight, new_bias);
    }
    const std::string base = conv.name.empty() ? bn.outputs[0] : conv.name;
    const std::string weight_name = AddInitializer(graph, base + "_bn_weight", std::move(new_weight));
    const std::string bias_name = AddInitializer(graph, base + "_bn_bias", std::move(new_bias));
    conv.inputs.resize(3);
    conv.inputs[1] = weight_name;
    conv.inputs[2] = bias_name;
    conv.outputs[0] = bn.outputs[0];  // the Conv now writes what the BatchNormalization wrote
    removed[b] = true;
    changed = true;
  }
  if (changed) RemoveNodes(graph, removed);
  return changed;
}

}  // namespace kiln::passes
