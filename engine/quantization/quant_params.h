// The arithmetic of quantization: activation scale/zero point from a range,
// int8 symmetric weights (per tensor or per channel) and int32 biases.
// Pure functions.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/core/status.h"
#include "engine/core/tensor.h"

namespace kiln::quantization {

struct ActivationParams {
  float scale = 1.0f;
  int32_t zero_point = 0;
  DataType type = DataType::kUInt8;
};

// Asymmetric uint8/int8 parameters covering [min, max] (widened to include 0).
ActivationParams ActivationParamsFor(float min, float max, DataType type);

struct QuantizedWeight {
  Tensor values;              // int8, same shape as the float weight
  std::vector<float> scales;  // one per channel along `axis`, or one
  int axis = -1;              // -1: per tensor
};

// Symmetric int8 in [-127, 127]; `axis` -1 for one scale. An all-zero
// channel gets scale 1. InvalidArgument for a non-float32 weight or bad axis.
Result<QuantizedWeight> QuantizeWeight(const Tensor& weight, int axis);

// int32 bias with scale input_scale * weight_scales[c] (one scale, or one per
// element of the 1-D bias); values saturate at the int32 range.
Result<Tensor> QuantizeBias(const Tensor& bias, float input_scale, const std::vector<float>& weight_scales);

}  // namespace kiln::quantization
