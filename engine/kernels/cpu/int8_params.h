// The constant quantization parameters of Kiln's fused integer operators
// (kiln::Int8Conv, kiln::Int8MatMul, produced by passes/qdq_fusion.h), read
// once at session creation. Inputs, in order:
//   0 x (uint8/int8)  1 x_scale  2 x_zero_point  3 W (int8, constant)
//   4 W_scale [channels]  5 bias (int32, optional)  6 y_scale  7 y_zero_point
//   8 float_bias (float32 [channels], optional; float output only)
//   9 residual, 10 residual_scale, 11 residual_zero_point (Int8Conv only,
//     optional; from passes/int8_residual_fusion.h): a quantized tensor of
//     the output's shape, type and layout added before the activation,
//     y = act(conv + residual_scale * (residual - residual_zero_point));
//     needs a quantized output
// With the attribute dynamic_quantization = 1 (Int8MatMul only, from
// passes/dynamic_quant_fusion.h) x is float32 and inputs 1 and 2 are absent:
// x is quantized to uint8 at run time from its own range, as ONNX's
// DynamicQuantizeLinear does.
// Without y_scale the output is float32 (dequantized); a float bias (a bias
// Add fused by passes/matmul_fusion) is then added after dequantization.
// The activation is FusedActivation's attributes (fused_activation.h); with
// a quantized output only Relu and Clip, which commute with the output
// scale. Immutable after Create.
#pragma once

#include <cstdint>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "engine/core/status.h"
#include "engine/kernels/cpu/fused_activation.h"
#include "engine/runtime/op_kernel.h"

namespace kiln::cpu {

// Input index of a fused residual (Int8Conv).
inline constexpr size_t kInt8ResidualInput = 9;

struct Int8Params {
  bool dynamic_input = false;  // x is float, quantized per run (x_scale, x_zero_point unused)
  float x_scale = 1;
  int32_t x_zero_point = 0;
  const Tensor* weight = nullptr;  // int8, owned by the graph
  std::vector<float> weight_scales;
  const Tensor* bias = nullptr;    // int32 [channels] or null
  bool quantized_output = false;
  float y_scale = 1;
  int32_t y_zero_point = 0;
  DataType y_type = DataType::kFloat;
  const Tensor* float_bias = nullptr;  // float32 [channels] or null
  bool residual = false;               // inputs 9-11 present
  float residual_scale = 1;
  int32_t residual_zero_point = 0;
  FusedActivation activation;

  // InvalidArgument when an input that must be constant is not, or types or
  // sizes do not match; `channels` is the weight's output-channel count.
  static Result<Int8Params> Read(const KernelInit& init, int64_t channels);

  // Scales oneDNN applies to the int32 accumulator, one per output channel:
  // x_scale * w_scale[c] (/ y_scale when the output is quantized).
  std::vector<float> OutputScales() const;
  // The residual sum (oneDNN's sum post-op, reading the destination), the
  // float bias (as binary-add post-op argument 0, when there is one) and
  // the fused activation as oneDNN post-ops (empty when none).
  dnnl::post_ops PostOps() const;
  // The float bias as the [1, channels] tensor PostOps' binary add reads.
  dnnl::memory::desc FloatBiasDesc() const;
};

}  // namespace kiln::cpu
