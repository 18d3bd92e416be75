// Recognising an activation node that a fused kernel can apply as a
// post-op, and recording it on the fused node in the attributes that
// kernels/cpu/fused_activation.h reads (activation, activation_params,
// approximate). Shared by the conv_fusion and matmul_fusion passes.
//
// Recognised: Relu, LeakyRelu, Clip (constant or absent min/max), Sigmoid,
// HardSigmoid, HardSwish, Tanh (all ai.onnx) and kiln::Gelu.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/ir/graph.h"

namespace kiln::passes {

struct FusableActivation {
  std::string name;           // the value of the `activation` attribute
  std::vector<float> params;  // `activation_params`
  std::string approximate;    // Gelu only
};

// The activation `node` computes on its first input, or nullopt when it is
// not one a fused kernel applies.
std::optional<FusableActivation> MatchActivation(const ir::Graph& graph, const ir::Node& node);

// Writes `activation` into `fused`'s attributes.
void SetActivation(ir::Node& fused, const FusableActivation& activation);

// True when `fused` already applies an activation (nothing may follow it).
bool HasActivation(const ir::Node& fused);

}  // namespace kiln::passes
