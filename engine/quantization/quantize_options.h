// Options of post-training quantization (`kiln quantize`), shared by the
// planner, the calibrator and the graph rewriters. Plain data.
#pragma once

#include <string>
#include <vector>

#include "engine/core/dtype.h"

namespace kiln::quantization {

// How an activation's calibrated range is chosen from what calibration saw.
enum class RangeMethod {
  kMinMax,      // the smallest and largest value seen
  kPercentile,  // clip |x| at a percentile of its distribution (drops outliers)
  kEntropy,     // the clip threshold that minimizes KL divergence (TensorRT's method)
};

struct QuantizeOptions {
  RangeMethod method = RangeMethod::kMinMax;
  double percentile = 99.99;  // for kPercentile, in percent
  // Weights: int8 symmetric, one scale per output channel (opset >= 13) or per tensor.
  bool per_channel = false;
  // Activations: uint8 or int8, asymmetric, one scale per tensor.
  DataType activation_type = DataType::kUInt8;
  // Dynamic quantization: MatMul/Gemm weights to int8, activations quantized
  // at run time (DynamicQuantizeLinear + MatMulInteger); needs no calibration.
  bool dynamic = false;
  // Operator types or node names left in float.
  std::vector<std::string> exclude;
};

// "minmax" / "percentile" / "entropy"; false for anything else.
bool ParseRangeMethod(const std::string& name, RangeMethod* method);
const char* RangeMethodName(RangeMethod method);

}  // namespace kiln::quantization
