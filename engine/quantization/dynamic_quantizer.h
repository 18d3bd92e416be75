// Dynamic quantization: MatMul (and Gemm) nodes with a constant 2-D float
// weight become DynamicQuantizeLinear(A) -> MatMulInteger(A_q, W_int8) ->
// Cast -> Mul(A_scale * W_scale); the weight is quantized once (int8
// symmetric, per column with --per-channel), activations at run time. Good
// for MatMul-heavy models (transformers); needs no calibration.
#pragma once

#include <string>

#include "engine/core/status.h"
#include "engine/quantization/quantize_options.h"

namespace onnx {
class ModelProto;
}

namespace kiln::quantization {

// Rewrites `model` in place. InvalidArgument when its opset is below 11;
// returns the number of nodes rewritten through `rewritten`.
Status RewriteDynamic(onnx::ModelProto* model, const std::string& base_dir, const QuantizeOptions& options,
                      int* rewritten);

}  // namespace kiln::quantization
