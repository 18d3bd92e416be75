// QdqFusionPass: turns the QDQ form of quantized Conv / MatMul / Gemm into
// integer operators that oneDNN runs in int8 (VNNI where the CPU has it):
//
//   DequantizeLinear(x_q) ─┐
//   DequantizeLinear(W_q) ─┼─ Conv|MatMul|Gemm ─[Relu]─ QuantizeLinear ─> y_q
//   DequantizeLinear(b_q) ─┘
//
// becomes kiln::Int8Conv / kiln::Int8MatMul(x_q, x_scale, x_zp, W_q, W_scale,
// bias_int32, y_scale, y_zp) -> y_q, so consecutive quantized operators hand
// int8 tensors to each other and requantize instead of returning to float.
// Without a QuantizeLinear after it the fused node outputs float. Residual
// DequantizeLinear(a) + DequantizeLinear(b) [-> Relu] -> QuantizeLinear
// becomes kiln::Int8Add, DequantizeLinear -> MaxPool -> QuantizeLinear
// with equal quantization on both sides a MaxPool of the int8 values, and
// the QOperator forms QLinearConv / QLinearMatMul with symmetric int8
// weights run on the same int8 kernels.
// Requirements: constant int8 symmetric weights (per tensor or per output
// channel), constant uint8/int8 scalar activation scales and zero points,
// 2-D convolutions with explicit pads, Gemm without transA. Runs first in the
// pipeline, before constant folding would turn the weights back into float.
#pragma once

#include "engine/passes/pass.h"

namespace kiln::passes {

class QdqFusionPass : public Pass {
 public:
  std::string name() const override { return "qdq_fusion"; }
  Result<bool> Run(ir::Model& model) override;
};

}  // namespace kiln::passes
