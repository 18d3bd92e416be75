// Static (calibrated) quantization to the standard QDQ form: every chosen
// float activation T gets QuantizeLinear -> DequantizeLinear (uint8/int8, one
// scale), its float consumers read the dequantized copy, and Conv / Gemm /
// MatMul weights become int8 initializers behind a DequantizeLinear
// (symmetric, per output channel with --per-channel), biases int32. The
// result runs anywhere QDQ runs (Kiln, ONNX Runtime) and is what Kiln's QDQ
// fusion turns into integer kernels.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "engine/core/status.h"
#include "engine/quantization/quantize_options.h"
#include "engine/quantization/range_calibrator.h"

namespace onnx {
class ModelProto;
}

namespace kiln::quantization {

struct StaticPlan {
  // Float activations to calibrate and quantize, in graph order.
  std::vector<std::string> activations;
};

// Chooses the activations around the operators that will run as integer
// kernels: Conv / Gemm / MatMul with a constant weight, and Add, Concat and
// pooling whose inputs all come from such operators. Their activation
// inputs are quantized, and so are their results (after a following Relu /
// Clip, which is absorbed) when only integer operators read them and they
// are not graph outputs. Bias Adds, activation x activation MatMuls and
// everything else stay float. Nodes named in options.exclude (by name or op
// type) stay float. InvalidArgument when the model's opset is too old (10,
// 13 for per-channel).
Result<StaticPlan> PlanStaticQuantization(const onnx::ModelProto& model, const std::string& base_dir,
                                          const QuantizeOptions& options);

// Rewrites `model` in place; `ranges` must hold every planned activation.
Status RewriteToQdq(onnx::ModelProto* model, const std::string& base_dir, const StaticPlan& plan,
                    const std::map<std::string, TensorRange>& ranges, const QuantizeOptions& options);

// Drops initializers that no node, subgraph or graph output reads any more.
void RemoveUnusedInitializers(onnx::ModelProto* model);

}  // namespace kiln::quantization
