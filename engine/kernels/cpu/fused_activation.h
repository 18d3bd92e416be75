// FusedActivation: the elementwise activation a fused kernel (kiln::FusedConv,
// kiln::FusedMatMul, kiln::FusedGemm) applies to its result, as written by
// the activation-fusion pass (passes/conv_activation_fusion.h) in two node
// attributes:
//   activation         "Relu", "LeakyRelu", "Clip", "Sigmoid", "HardSigmoid",
//                      "HardSwish", "Tanh" or "Gelu" (absent: none)
//   activation_params  floats: LeakyRelu {alpha}, Clip {min, max},
//                      HardSigmoid {alpha, beta}; others none
//   approximate        Gelu only: "none" (erf) or "tanh"
// It runs as oneDNN post-ops (AppendTo) or, on Kiln's own fallback paths and
// in tests, as a plain loop (Apply). Immutable; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include <oneapi/dnnl/dnnl.hpp>

#include "engine/core/status.h"
#include "engine/ir/graph.h"

namespace kiln::cpu {

struct FusedActivation {
  enum class Kind { kNone, kRelu, kLeakyRelu, kClip, kSigmoid, kHardSigmoid, kHardSwish, kTanh, kGeluErf, kGeluTanh };
  Kind kind = Kind::kNone;
  float alpha = 0.0f;  // LeakyRelu slope, Clip min, HardSigmoid alpha
  float beta = 0.0f;   // Clip max, HardSigmoid beta

  // Reads the attributes above; InvalidArgument for unknown names or a
  // wrong number of parameters.
  static Result<FusedActivation> FromNode(const ir::Node& node);

  bool active() const { return kind != Kind::kNone; }
  // Adds the activation as eltwise post-ops (after any already there).
  void AppendTo(dnnl::post_ops& ops) const;
  // data[i] = activation(data[i]) for i in [0, n).
  void Apply(float* data, int64_t n) const;
};

}  // namespace kiln::cpu
